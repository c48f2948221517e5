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
from pathlib import Path
from types import FrameType
from typing import Any

from redis.asyncio.connection import AbstractConnection

_count = [0, 0]  # round trips, dumps written


def _patch() -> None:
    original = AbstractConnection.send_packed_command

    async def counted(self: Any, command: Any, check_health: bool = True) -> None:
        _count[0] += 1
        await original(self, command, check_health)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


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
