"""`safetynet serve` with its Redis round trips counted, for the benchmarks only:

    python -m simulations.bench._counted COUNT_FILE serve --host 127.0.0.1 --port N

Redis's own counters (`INFO commandstats`) see commands, not round trips: a pipeline of 30
EVALSHA is 30 commands and one round trip. So this wrapper counts on the client side, in the
serve process itself: every `send_packed_command` of redis-py's asyncio connections is one
request written to a socket and answered once (a single command, a whole pipeline or a
MULTI/EXEC block alike), i.e. one round trip. Publish/subscribe reads that send nothing are not
counted; health-check PINGs and connection handshakes are (they are round trips too).

On SIGUSR1 the process writes `{"round_trips": n, "seq": k}` to COUNT_FILE (atomically, by
rename), so the bench reads the count at the moment it chooses instead of polling a file.
Nothing in router/ knows about this; the patch lives only in this process.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from router.store.wire import SENDERS

_count = [0, 0]  # round trips, dumps written


def count_sends(tally: list[int]) -> Callable[[], None]:
    """Count in tally[0] every request written to Redis by this process (each round trip passes
    through one of SENDERS' `send_packed_command`); returns what undoes the patch."""
    originals = [(cls, cls.__dict__["send_packed_command"]) for cls in SENDERS]

    def wrap(original: Any) -> Any:
        async def counted(self: Any, command: Any, check_health: bool = True) -> None:
            tally[0] += 1
            await original(self, command, check_health)

        return counted

    for cls, original in originals:
        setattr(cls, "send_packed_command", wrap(original))  # noqa: B010 - patched on purpose

    def restore() -> None:
        for cls, original in originals:
            setattr(cls, "send_packed_command", original)  # noqa: B010

    return restore


def _patch() -> None:
    count_sends(_count)


def _dumper(path: Path) -> Any:
    def dump(_signum: int, _frame: FrameType | None) -> None:
        _count[1] += 1
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"round_trips": _count[0], "seq": _count[1]}))
        os.replace(tmp, path)

    return dump


def main() -> None:
    path = Path(sys.argv[1])
    _patch()
    signal.signal(signal.SIGUSR1, _dumper(path))
    sys.argv = ["safetynet", *sys.argv[2:]]
    runpy.run_module("router.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
