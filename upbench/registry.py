"""Targets: one folder under `targets/` each, holding a `target.py` with one `TARGET` spec.

Discovery is a glob (as TechEmpower's toolset finds `benchmark_config.json`): adding a target
means adding a folder, nothing else. Selection takes `a,b,-c` and fails loudly on unknown names.
"""

from __future__ import annotations

import importlib

from targets.spec import Target
from upbench.paths import TARGETS_DIR

__all__ = ["Target", "UnknownTarget", "discover", "select"]


class UnknownTarget(ValueError):
    pass


def discover() -> dict[str, Target]:
    found: dict[str, Target] = {}
    for spec_file in sorted(TARGETS_DIR.glob("*/target.py")):
        module = importlib.import_module(f"targets.{spec_file.parent.name}.target")
        target: Target = module.TARGET
        if target.name in found:
            raise RuntimeError(f"two targets are named {target.name!r}")
        found[target.name] = target
    return found


def select(spec: str | None, registry: dict[str, Target] | None = None) -> list[Target]:
    """`None`/`""` -> all; `a,b` -> those; `-c` -> all but c (pyperformance's `-b` syntax)."""
    registry = registry if registry is not None else discover()
    names = [n.strip() for n in (spec or "").split(",") if n.strip()]
    unknown = [n.lstrip("-") for n in names if n.lstrip("-") not in registry]
    if unknown:
        raise UnknownTarget(f"unknown target(s): {', '.join(unknown)} "
                            f"(known: {', '.join(registry)})")
    include = [n for n in names if not n.startswith("-")]
    exclude = {n[1:] for n in names if n.startswith("-")}
    chosen = include or list(registry)
    return [registry[n] for n in dict.fromkeys(chosen) if n not in exclude]
