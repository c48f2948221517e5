"""Identifiers and sealing nonces come from the kernel's random bytes read in bulk
(router/randomness.py): each byte handed out once, in this process and in a forked one."""

from __future__ import annotations

import base64
import os
import re

from router import randomness
from router.engine import new_id
from router.store.sealing import NONCE, Sealer


def test_ids_and_nonces_are_fresh_random_bytes_across_refills() -> None:
    # Well past one pool: every id and every nonce differs, and each has its full length.
    ids = [new_id("c") for _ in range(3 * randomness.POOL // 8)]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"c_[0-9a-f]{16}", i) for i in ids)
    sealer = Sealer(["k"])
    tokens = [sealer.seal("{}") for _ in range(2 * randomness.POOL // NONCE)]
    nonces = {_nonce(t) for t in tokens}
    assert len(nonces) == len(tokens)
    assert all(sealer.open(t) == "{}" for t in tokens[:50])
    assert len(randomness.token_bytes(randomness.POOL + 5)) == randomness.POOL + 5


def _nonce(token: str) -> bytes:
    """A sealed token's nonce: `v2:` and the base64 of nonce, ciphertext and tag (sealing.py)."""
    return base64.urlsafe_b64decode(token[3:])[:NONCE]


def test_a_forked_child_never_hands_out_its_parents_bytes() -> None:
    randomness.token_bytes(1)  # the pool holds bytes not handed out yet when the fork comes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next bytes, to the parent
        try:
            os.write(write, randomness.token_bytes(32))
        finally:
            os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 64)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert len(child) == 32
    assert randomness.token_bytes(32) != child
