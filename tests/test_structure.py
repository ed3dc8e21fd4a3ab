"""The structure stays true: import-linter's contracts (pyproject.toml) and ruff, run as tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


def test_import_contracts_hold():
    done = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


def test_ruff_is_clean():
    done = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_runner_reads_scenario_fields_not_names():
    """Scenario knowledge lives in loadtests/catalog.py: the runner never tests a name."""
    from loadtests.catalog import SCENARIOS

    source = (ROOT / "upbench" / "runner.py").read_text() + (ROOT / "upbench" / "loadrun.py").read_text()
    for name in SCENARIOS:
        assert f'"{name}"' not in source and f"'{name}'" not in source, name
