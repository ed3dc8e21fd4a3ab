"""The structure stays true: import-linter's contracts (pyproject.toml) and ruff, run as tests."""

from __future__ import annotations

import re
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
    """Scenario knowledge lives in loadtests/catalog.py: the runner never tests a name
    (a scenario name as a string literal compared or looked up)."""
    from loadtests.catalog import SCENARIOS

    for module in ("run/sweep.py", "run/level.py", "run/subject.py", "lifecycle/locust.py"):
        source = (ROOT / "upbench" / module).read_text()
        for name in SCENARIOS:
            tested = re.findall(rf"(==|!=|\bin|SCENARIOS\[)\s*\(?[^)\n]*['\"]{re.escape(name)}['\"]",
                                source)
            assert not tested, f"{module} tests the scenario name {name!r}"
