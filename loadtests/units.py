"""Human units at the CLI boundary: sizes (`64KB`, `1MiB`) and durations (`15s`, `2m`).

Sizes follow SI/IEC exactly as written: `KB` = 1000 bytes, `KiB` = 1024 bytes, so `1MB` and
`1MiB` mean what they say. A bare number is bytes (sizes) or seconds (durations).
"""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "k": 2**10, "m": 2**20, "g": 2**30,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}
_DURATION_UNITS = {"": 1.0, "s": 1.0, "ms": 1e-3, "m": 60.0, "min": 60.0, "h": 3600.0}
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """`'64KB'` -> 64000, `'1MiB'` -> 1048576. Raises ValueError with a readable reason."""
    number, unit = _split(text, "size")
    if unit.lower() not in _SIZE_UNITS:
        raise ValueError(f"bad size {text!r}: unknown unit {unit!r} (use B, KB, MB, GB, KiB, MiB, GiB)")
    value = int(number * _SIZE_UNITS[unit.lower()])
    if value <= 0:
        raise ValueError(f"bad size {text!r}: must be at least 1 byte")
    return value


def parse_duration(text: str) -> float:
    """`'15s'` -> 15.0, `'2m'` -> 120.0, `'500ms'` -> 0.5."""
    number, unit = _split(text, "duration")
    if unit.lower() not in _DURATION_UNITS:
        raise ValueError(f"bad duration {text!r}: unknown unit {unit!r} (use ms, s, m, h)")
    value = number * _DURATION_UNITS[unit.lower()]
    if value <= 0:
        raise ValueError(f"bad duration {text!r}: must be positive")
    return value


def format_size(n: float) -> str:
    """Shortest exact-ish label: 65536 -> '64KiB', 1000000 -> '1MB', 1500 -> '1.5KB'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3), ("GiB", 2**30),
                        ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{int(n // scale)}{unit}"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{int(n)}B"



def _split(text: str, what: str) -> tuple[float, str]:
    match = _NUMBER_UNIT.match(str(text))
    if not match:
        raise ValueError(f"bad {what} {text!r}: expected a number and a unit, e.g. "
                         + ("'64KB' or '1MiB'" if what == "size" else "'15s' or '2m'"))
    return float(match.group(1)), match.group(2)
