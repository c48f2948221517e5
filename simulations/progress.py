"""A plain-text progress bar on stderr for long runs: no dependency, quiet when not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
# Redraw at most this often (seconds): a terminal redraw per event would slow the run.
EVERY_S = 0.5


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        # Wall time is right here: the bar tells a person how long *they* wait, not simulated time.
        self._started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: float, contacts: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < EVERY_S and done < 1.0:
            return
        self._last = now
        filled = int(WIDTH * done)
        elapsed = now - self._started
        eta = f", ~{elapsed * (1 - done) / done:.0f}s left" if 0 < done < 1 else ""
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done * 100:5.1f}% "
            f"{contacts:,} contacts, {elapsed:.0f}s{eta}   "
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
