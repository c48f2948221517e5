"""The `safetynet` command: serve, demo, token, keys, protocol, ledger, retention, simulate, staffing."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import structlog

from protocols import ProtocolError
from protocols.check import check_file
from protocols.loader import read_text
from protocols.manual import render_html, render_markdown
from router import cli_admin, logs, policy, workers
from router import web as console
from router.api.app import Extension
from router.audit import audit
from router.channels import chat, email, twilio
from router.demo import run_demo
from router.ledger.cli import add_commands as add_ledger_commands
from router.ledger.cli import ledger_main, retention_main
from router.server import run, serve
from router.service import Service, StartupError, open_store, require_own_key
from router.settings import Settings
from router.web import reports, schedule

log = structlog.get_logger("router.cli")


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return Settings.load(file=getattr(args, "settings", None))
    except (ValueError, OSError) as exc:
        raise StartupError(f"bad settings: {exc}") from exc


async def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    require_own_key(settings)
    logs.configure(settings.log_level)
    os.makedirs(settings.data_dir, exist_ok=True)
    try:
        service = await Service.create(settings)  # runs the ledger's pending migrations
    except ProtocolError as exc:
        raise StartupError(str(exc)) from exc

    async def ready(port: int) -> None:
        log.info(
            "serving",
            host=args.host,
            port=port,
            hotline=settings.hotline,
            protocol_version=service.engine.protocol.version,
        )
        logs.announce("serving_on", url=f"http://{args.host}:{port}")

    await serve(
        service, args.host, args.port, ready, extensions=extensions(settings), reuse_port=args.reuse_port
    )
    return 0


async def _activate(args: argparse.Namespace, text: str) -> int:
    settings = _settings(args)
    store = open_store(settings)
    try:
        if not await store.ping():
            raise StartupError(
                f"cannot reach Redis at {settings.redis_url}: start it or fix SAFETYNET_REDIS_URL"
            )
        ctx = cli_admin.operator(store)
        protocol, diff = await policy.activate(store, text, ctx.actor, ctx.now, args.file)
        await audit(ctx, "protocol.activate", detail=f"version={protocol.version}")
        print(f"{args.file}: version {protocol.version} in force")
        for line in diff:
            print(f"  {line}")
        return 0
    finally:
        await store.close()


def _protocol(args: argparse.Namespace) -> int:
    report = check_file(args.file)
    if args.action == "activate":
        for line in report.errors:
            print(line, file=sys.stderr)
        return asyncio.run(_activate(args, read_text(args.file))) if report.ok else 1
    if args.action == "check":
        for line in report.errors + report.warnings:
            print(line, file=sys.stderr)
        if report.ok:
            print(f"{args.file}: OK ({len(report.warnings)} warning(s))")
        return 0 if report.ok else 1
    if report.protocol is None:
        for line in report.errors:
            print(line, file=sys.stderr)
        return 1
    print(render_html(report.protocol) if args.html else render_markdown(report.protocol))
    return 0


def extensions(settings: Settings) -> list[Extension]:
    """Channels the settings turn on: chat and the console always; email and Twilio when set up."""
    found: list[Extension] = [chat.install, console.install, schedule.install, reports.install, email.install]
    if settings.twilio_account_sid:
        found.append(twilio.install)
    return found


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safetynet", description="Crisis contact routing and coverage engine")
    p.add_argument("--settings", help="a settings file of SAFETYNET_KEY=value lines")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the service (Redis by default; memory:// allowed)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        help="instances on this port, a process each (default SAFETYNET_WORKERS, 1); Redis only",
    )
    # A worker of `--workers N`: binds the shared port with SO_REUSEPORT (router/workers.py).
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    d = sub.add_parser("demo", help="the whole system on the embedded store with synthetic traffic")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8080)
    d.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    d.add_argument("--rate", type=float, default=6.0, help="contacts per minute")
    d.add_argument("--seed", type=int, default=7)
    cli_admin.add_parsers(sub)
    pr = sub.add_parser("protocol", help="check a protocol file or render it as a staff manual")
    pr.add_argument("action", choices=["check", "manual", "activate"])
    pr.add_argument("file")
    pr.add_argument("--html", action="store_true", help="manual as HTML (default Markdown)")
    add_ledger_commands(sub)
    sim = sub.add_parser("simulate", help="simulate a scenario", add_help=False)
    sim.add_argument("rest", nargs=argparse.REMAINDER)
    st = sub.add_parser("staffing", help="plan staffing for a scenario", add_help=False)
    st.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def _simulator(command: str, rest: list[str]) -> int:
    """`simulate` or `staffing`, imported when asked for: every `serve` (each worker, each
    restart) would otherwise load the simulator's modules before it answers."""
    from simulations.cli import simulate_main, staffing_main

    return simulate_main(rest) if command == "simulate" else staffing_main(rest)


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    # The simulator's commands parse their own options (`--help` included).
    if given and given[0] in ("simulate", "staffing"):
        return _simulator(given[0], given[1:])
    args = parser().parse_args(given)
    try:
        if args.command == "serve":
            settings = _settings(args)
            n = settings.workers if args.workers is None else args.workers
            workers.check(settings, n, args.port)
            if n > 1 and not args.reuse_port:
                logs.configure(settings.log_level)
                return workers.supervise(
                    settings, workers.child_command(args.settings, args.host, args.port), n
                )
            return run(_serve(args), settings.event_loop)
        if args.command == "demo":
            return asyncio.run(run_demo(args))
        if args.command == "token":
            return asyncio.run(cli_admin.token(args, _settings(args)))
        if args.command == "keys":
            return cli_admin.keys(args, _settings(args))
        if args.command == "protocol":
            return _protocol(args)
        if args.command in ("ledger", "retention"):
            settings = _settings(args)
            logs.configure(settings.log_level)  # as `serve`: JSON lines, redacted, at its level
            work = ledger_main if args.command == "ledger" else retention_main
            return run(work(args, settings), settings.event_loop)  # on serve's loop (uvloop)
        return _simulator(args.command, list(args.rest))
    except StartupError as exc:
        print(f"safetynet: {exc}", file=sys.stderr)
        return 2
    except ProtocolError as exc:
        print(f"safetynet: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
