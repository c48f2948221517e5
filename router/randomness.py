"""Random bytes for identifiers and nonces: the kernel's, read a few kilobytes at a time.

Every contact taken in needs 28 of them (its id, its offer's, its record's sealing nonce), and
each `os.urandom` call is a `getrandom` system call: 6-9 µs each in place in a loaded `serve`
(against ~0.6 µs in a loop of their own), ~20 µs of every intake. The bytes handed out are the
same kernel CSPRNG output as before, only read in bulk and each handed out once.

A forked child starts with an empty pool (`os.register_at_fork`): a parent and its child never
hand out the same bytes (the simulator's segment workers are forked from a server process).
"""

from __future__ import annotations

import os
import threading

POOL = 4096  # bytes read from the kernel at a time


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._at = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._at + n > len(self._bytes):
                self._bytes, self._at = os.urandom(max(POOL, n)), 0
            out = self._bytes[self._at : self._at + n]
            self._at += n
            return out

    def forget(self) -> None:
        """In a forked child: nothing the parent held, and a lock no other thread holds."""
        self._lock = threading.Lock()
        self._bytes, self._at = b"", 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.forget)


def token_bytes(n: int) -> bytes:
    """`n` random bytes (as `secrets.token_bytes`)."""
    return _pool.take(n)


def token_hex(n: int) -> str:
    """`n` random bytes as hex (as `secrets.token_hex`)."""
    return _pool.take(n).hex()
