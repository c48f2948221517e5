"""The operator's commands on keys and tokens: `safetynet keys ...` and `safetynet token ...`."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from router import keyring, tokens
from router.api.auth import ROLES
from router.audit import AuditContext, audit
from router.clock import SystemClock
from router.service import StartupError, open_store
from router.settings import Settings
from router.store import Store

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
ROTATE_NOTE = """\
What `keys rotate` does:
  * a new random key becomes SAFETYNET_SECRET_KEY; the old one moves to the front of
    SAFETYNET_PREVIOUS_SECRET_KEYS (every earlier one stays listed);
  * restart every instance with both settings (all instances must list the same keys);
  * from then on, new contact records are sealed, new senders hashed and new chat sessions
    signed with the new key; records sealed under any listed key still open, and a returning
    person is matched under every listed key (and under the pre-HKDF derivation), so nobody
    loses their open contact;
  * records already in the store are NOT re-sealed by this command: keep the old key listed
    in SAFETYNET_PREVIOUS_SECRET_KEYS until the contacts sealed with it have left the store
    (closed and past retention). Drop a previous key only then.
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    k = sub.add_parser("keys", help="make a secret key, or rotate to a new one")
    k.add_argument("action", choices=["generate", "rotate"])
    k.add_argument(
        "--write",
        action="store_true",
        help="rotate: rewrite the --settings file in place (else the new lines are printed)",
    )
    t = sub.add_parser("token", help="issue (default), list or revoke bearer tokens")
    t.add_argument("action", nargs="?", choices=["issue", "list", "revoke"], default="issue")
    t.add_argument("id", nargs="?", help="revoke: the token id (tok_...)")
    t.add_argument("--role", choices=ROLES)
    t.add_argument("--person", help="who will hold the token, as the access audit names them")
    t.add_argument("--responder")
    t.add_argument("--label")
    t.add_argument("--expires-in", default="90d", help="lifetime: 3600, 90m, 12h or 90d (default 90d)")


def operator(store: Store) -> AuditContext:
    """Who acts from the command line, as the audit names them: the OS account running it."""
    return AuditContext(store, SystemClock().now(), f"cli:{getpass.getuser()}", "admin")


def duration(text: str) -> timedelta:
    found = _DURATION.match(text.strip())
    if not found:
        raise ValueError(f"--expires-in {text!r}: give seconds, or a number with s, m, h or d (e.g. 90d)")
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def keys(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "generate":
        print(keyring.generate())
        return 0
    current = keyring.Keyring.of(settings.secret_key, settings.previous_secret_keys)
    new = keyring.generate()
    lines = {
        "SAFETYNET_SECRET_KEY": new,
        "SAFETYNET_PREVIOUS_SECRET_KEYS": ",".join(current.keys),
    }
    source = getattr(args, "settings", None) or os.environ.get("SAFETYNET_SETTINGS")
    if args.write:
        if not source:
            raise StartupError("keys rotate --write needs --settings FILE (the file to rewrite)")
        rewrite(Path(source), lines)
        print(f"safetynet: {source}: new key written, the old one listed as previous", file=sys.stderr)
        if "SAFETYNET_SECRET_KEY" in os.environ:
            print(
                "safetynet: SAFETYNET_SECRET_KEY is set in the environment and wins over the file",
                file=sys.stderr,
            )
    else:
        for name, value in lines.items():
            print(f"{name}={value}")
    print(ROTATE_NOTE, file=sys.stderr, end="")
    return 0


def rewrite(path: Path, values: dict[str, str]) -> None:
    """Replace (or add) KEY=value lines; every other line stays. Written atomically, mode 0600."""
    out: list[str] = []
    left = dict(values)
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.partition("=")[0].strip()
        full = name if name.startswith("SAFETYNET_") else "SAFETYNET_" + name.upper()
        if "=" in line and not line.lstrip().startswith("#") and full in values:
            if full in left:
                out.append(f"{full}={left.pop(full)}")
            continue
        out.append(line)
    out += [f"{name}={value}" for name, value in left.items()]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


async def token(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    try:
        if not await store.ping():
            raise StartupError(
                f"cannot reach Redis at {settings.redis_url}: start it or fix SAFETYNET_REDIS_URL"
            )
        ctx = operator(store)
        if args.action == "list":
            for record in await tokens.listing(store):
                state = "active" if tokens.usable(record, ctx.now) else "revoked/expired"
                print(f"{record.id}\t{record.role}\t{record.person}\t{record.expires_at:%Y-%m-%d}\t{state}")
            return 0
        if args.action == "revoke":
            return await _revoke(store, ctx, args.id)
        return await _issue(store, ctx, args)
    finally:
        await store.close()


async def _revoke(store: Store, ctx: AuditContext, token_id: str | None) -> int:
    if not token_id:
        raise StartupError("token revoke needs the token id: safetynet token revoke tok_...")
    revoked = await tokens.revoke(store, token_id, ctx.now, ctx.actor)
    if revoked is None:
        print(f"safetynet: no token {token_id}", file=sys.stderr)
        return 1
    await audit(ctx, "token.revoke", detail=f"token={token_id}")
    print(f"{token_id} revoked")
    return 0


async def _issue(store: Store, ctx: AuditContext, args: argparse.Namespace) -> int:
    if not args.role or not args.person:
        raise StartupError("token needs --role and --person (who will hold it, as the audit names them)")
    if args.role == "responder" and not args.responder:
        raise StartupError("a responder token names its responder: --responder ID")
    try:
        lifetime = duration(args.expires_in)
        secret, record = await tokens.issue(
            store,
            role=args.role,
            person=args.person,
            responder=args.responder,
            label=args.label,
            now=ctx.now,
            by=ctx.actor,
            lifetime=lifetime,
        )
    except ValueError as exc:
        raise StartupError(str(exc)) from exc
    await audit(ctx, "token.issue", detail=f"token={record.id} role={record.role}")
    print(secret)
    print(
        f"safetynet: {record.id} for {record.person}, expires {record.expires_at:%Y-%m-%d %H:%M}Z",
        file=sys.stderr,
    )
    return 0
