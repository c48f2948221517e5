"""Attribute reads on pydantic models at the interpreter's own speed.

pydantic's `BaseModel` defines `__getattr__`, which it consults only on a miss: a name that is
not a field, a method or anything else the instance has is looked up among the model's private
attributes, then among its extras. Having it at all costs every read. CPython 3.11 gives a class
with `__getattr__` a generic hook in place of its ordinary attribute lookup (two type look-ups
before the usual one), and its specialising interpreter leaves `LOAD_ATTR` on such a class
unspecialised (it specialises only the ordinary lookup). Here a field read on a model took 40 ns
against 13 ns on a plain object, and the engine reads ~485 model attributes a simulated contact:
the hook was 8% of the simulator's instructions (BENCHMARKS.md, "Nineteenth session").

SafetyNet reads extras from `model_extra` (or `__pydantic_extra__`) and private attributes from
`__pydantic_private__`, never as attributes, so importing the router removes the hook from
`BaseModel`, for every model in the process; the retroactive change reaches classes already
made (CPython updates subclasses' slots when a base's attribute is deleted). Nothing else in
the process relies on it: pydantic-settings' models have no private attributes and no extras,
and no other dependency here uses pydantic. What changes: `model.name` for an extra or a private
attribute raises AttributeError (and `getattr(model, name, default)` gives the default), as for
any missing name; setting them (`__setattr__`) and everything pydantic does with them (dumps,
equality, copies) are unchanged. tests/router/test_model_reads.py holds the line.
"""

from __future__ import annotations

from pydantic import BaseModel


def plain_reads() -> None:
    """Take `BaseModel.__getattr__` away (idempotent)."""
    if "__getattr__" in vars(BaseModel):
        delattr(BaseModel, "__getattr__")


plain_reads()
