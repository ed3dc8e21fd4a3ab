"""What the terminal shows while a run goes on: one line per step, with the time left.

Plain lines (not a redrawn bar) so that CI logs and pipes read the same as a terminal;
`quiet` keeps only warnings and the final path.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total_steps: int, est_step_s: float, quiet: bool = False):
        self.total = max(total_steps, 1)
        self.est_step_s = est_step_s
        self.done = 0
        self.quiet = quiet
        self.began = time.monotonic()

    def step(self, what: str) -> None:
        self.done += 1
        if not self.quiet:
            self._print(f"[{self.done}/{self.total} {self._left()}] {what}")

    def extend(self, steps: int) -> None:
        """Steps decided on the way (a claim's extra repetitions, a level run again longer)."""
        self.total += steps

    def skip(self, steps: int) -> None:
        """Steps that will not run (a target skipped): the estimate stops counting them."""
        self.done += steps

    def info(self, what: str) -> None:
        if not self.quiet:
            self._print(f"  {what}")

    def warn(self, what: str) -> None:
        self._print(f"! {what}")

    def _left(self) -> str:
        elapsed = time.monotonic() - self.began
        per_step = elapsed / (self.done - 1) if self.done > 1 else self.est_step_s
        left = per_step * (self.total - self.done + 1)
        return f"~{int(left // 60)}m{int(left % 60):02d}s left"

    @staticmethod
    def _print(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
