"""Where upbench's own files are, found through the import system (`importlib.resources`), so
the same code works from a checkout and from a non-editable `pip install .`."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

TARGETS_DIR = Path(str(files("targets")))
LOCUSTFILE = Path(str(files("loadtests") / "locustfile.py"))
TEMPLATES = Path(str(files("upbench.reporting") / "templates"))
# The folder holding the `targets` package: servers and workers import the apps from there.
SOURCE_ROOT = TARGETS_DIR.parent


def reports_dir() -> Path:
    """Runs write to ./reports/ of the working directory (never into the installed package)."""
    return Path.cwd() / "reports"
