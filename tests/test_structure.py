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


def test_run_reads_scenario_fields_not_names():
    """Scenario knowledge lives in loadtests/catalog.py: upbench/run/ never tests a name
    (a scenario name as a string literal compared or looked up)."""
    from loadtests.catalog import SCENARIOS

    modules = [*(ROOT / "upbench" / "run").glob("*.py"), ROOT / "upbench/lifecycle/locust.py"]
    assert len(modules) > 5
    for path in modules:
        source, module = path.read_text(), path.name
        for name in SCENARIOS:
            tested = re.findall(rf"(==|!=|\bin|SCENARIOS\[)\s*\(?[^)\n]*['\"]{re.escape(name)}['\"]",
                                source)
            assert not tested, f"{module} tests the scenario name {name!r}"


def test_readme_layout_names_what_exists():
    """README's ## Layout is the map: every file and package it names is in the tree, and
    every module a package's line names (`sweep.py`) is in that package."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named: list[Path] = []
    package = None
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent >= 20:  # a description's continuation line
            names = []
        else:
            column = re.split(r"\s{2,}", line.strip())[0]
            names = [n for n in column.split() if "<" not in n]
            base = ROOT / "upbench" if indent else ROOT
            named += [base / n for n in names]
            package = base / names[-1] if names and names[-1].endswith("/") else None
        if package is not None:  # modules named in the package's description
            modules = re.findall(r"(?<![\w/`])(\w+\.py)\b", line.strip().split("  ", 1)[-1])
            named += [package / m for m in modules]
    assert len(named) > 20, named
    missing = [str(p.relative_to(ROOT)) for p in named if not p.exists()]
    assert not missing, f"README ## Layout names what is not there: {missing}"
