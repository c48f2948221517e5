"""`python -m simulations simulate|staffing ...`: the same commands as `safetynet simulate|staffing`."""

from __future__ import annotations

import sys

from simulations.cli import simulate_main, staffing_main

COMMANDS = {"simulate": simulate_main, "staffing": staffing_main}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m simulations {simulate|staffing} SCENARIO.yaml [options]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
