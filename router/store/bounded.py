"""A cache of the most recently kept entries, bounded by their number and by the size of their text.

The codec keeps stored records' text (the decoded records, the tails it appends to). Bounded by
count alone, 2,000 conversations held at the cap of 1,000,000 characters (a flood, a mail loop,
a script, each at 1.4 MB of record) would have held 2.8 GB in each cache; bounded by size too, a
few such contacts push older entries out instead, and one larger than the whole budget is not
kept at all (it is read or written whole, as a miss always is).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class Bounded(Generic[V]):
    def __init__(self, count: int, size: int) -> None:
        self._count = count
        self._size = size
        self._entries: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self.held = 0  # the size of what is kept

    def get(self, key: str) -> V | None:
        found = self._entries.get(key)
        return None if found is None else found[0]

    def __getitem__(self, key: str) -> V:
        return self._entries[key][0]

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: str, value: V, size: int) -> None:
        """Kept as the newest entry (`size` its text's), the oldest let go while either bound is
        passed. (Every decode and write puts one: the size is the caller's, no call to measure.)"""
        entries = self._entries
        found = entries.pop(key, None)
        if found is not None:
            self.held -= found[1]
        if size > self._size:
            return
        entries[key] = (value, size)
        self.held += size
        while len(entries) > self._count or self.held > self._size:
            _, (_, gone) = entries.popitem(last=False)
            self.held -= gone

    def pop(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self.held -= found[1]
