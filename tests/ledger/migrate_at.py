"""`python -m tests.ledger.migrate_at URL START`: at the wall-clock time START (so that several
processes begin together, for a race to have its chance), bring the ledger at URL up to date
as `serve` and `ledger write` do at start; print the revisions this process applied, as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from router.ledger import Ledger, LedgerError


async def migrate(url: str) -> list[str]:
    ledger = Ledger.open(url)
    try:
        return await ledger.upgrade()
    finally:
        await ledger.close()


def main(url: str, start: float) -> int:
    time.sleep(max(0.0, start - time.time()))
    try:
        applied = asyncio.run(migrate(url))
    except LedgerError as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
