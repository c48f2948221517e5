"""Records the engine builds itself without pydantic validation: machinery on pydantic's internals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

M = TypeVar("M", bound=BaseModel)


class _Shape(NamedTuple):
    """How `trusted` builds one model class from one set of given names (a call site passes
    the same names every time): every field in order with its plain default (None where a
    factory makes it), the factories of the fields not given, the given names split into
    fields and extras, and the fields set (shared by every record of the shape: a record's
    set is never changed in place, see `evolve`)."""

    template: dict[str, Any]
    factories: tuple[tuple[str, Callable[[], Any]], ...]
    extras: tuple[str, ...]
    keeps_extras: bool  # the model keeps extras: its records have a dict of them, maybe empty
    fields_set: set[str]


_SHAPES: dict[tuple[type[BaseModel], tuple[str, ...]], _Shape] = {}

# A pydantic model's four slots, set through their own descriptors (what `object.__setattr__`
# looks up by name on every call): the engine builds ~40 records per simulated contact.
_SLOTS = vars(BaseModel)
set_dict = _SLOTS["__dict__"].__set__
set_extra = _SLOTS["__pydantic_extra__"].__set__
set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
set_private = _SLOTS["__pydantic_private__"].__set__
new_record = object.__new__  # BaseModel defines no __new__ of its own


def _shape(cls: type[BaseModel], given: tuple[str, ...]) -> _Shape:
    """Checked once per class and names, as validation would check them: a required field
    left out is refused, and so is a name the model neither has nor keeps as an extra."""
    fields = cls.model_fields
    missing = sorted(n for n, f in fields.items() if f.is_required() and n not in given)
    if missing:
        raise TypeError(f"{cls.__name__} needs {missing[0]!r}")
    extras = tuple(n for n in given if n not in fields)
    keeps_extras = cls.model_config.get("extra") == "allow"
    if extras and not keeps_extras:
        raise TypeError(f"{cls.__name__} has no field {sorted(extras)[0]!r}")
    shape = _Shape(
        template={n: None if f.default is PydanticUndefined else f.default for n, f in fields.items()},
        factories=tuple(
            (n, f.default_factory)  # type: ignore[misc]
            for n, f in fields.items()
            if f.default_factory and n not in given
        ),
        extras=extras,
        keeps_extras=keeps_extras,
        fields_set=set(given),
    )
    _SHAPES[(cls, given)] = shape
    return shape


def trusted(cls: type[M], **values: Any) -> M:
    """A record the engine builds itself from values that are already ours and already checked
    (the clock's aware time, protocol settings, ids it made), without pydantic validation: the
    same record at about half the cost (validation was ~17% of the simulator's CPU). Never for
    anything that came from outside (API bodies, ContactIn, what a store reads back).

    Like validation: fields not given take their defaults, `model_fields_set` is what was given
    (extras included), extra names go to the model's extras (models that allow them) or are
    refused, and a required field left out is refused."""
    given = tuple(values)
    shape = _SHAPES.get((cls, given)) or _shape(cls, given)
    data = shape.template.copy()  # field order kept, as validation keeps it
    for name, factory in shape.factories:
        data[name] = factory()
    extra: dict[str, Any] | None = None
    if shape.keeps_extras:
        extra = {name: values.pop(name) for name in shape.extras}
    data.update(values)
    new = new_record(cls)
    set_dict(new, data)
    set_extra(new, extra)
    set_fields_set(new, shape.fields_set)
    set_private(new, None)
    return new


# The names given, one set per class and names (as `trusted` shares its shape's): a record's set
# is never changed in place, and a set of its own made each of ~7 records a simulated contact
# one more object for the collector to follow while it is held. The names are the code's own
# (an entry's extras are keyword names), so the sets are as many as the call sites' shapes;
# bounded all the same (past GIVEN_MAX, a record of a shape not seen yet gets a set of its own).
_GIVEN: dict[tuple[Any, ...], set[str]] = {}
GIVEN_MAX = 4096


def trusted_full(cls: type[M], data: dict[str, Any], extra: dict[str, Any] | None) -> M:
    """`trusted` for the hottest records (a timeline entry and its stream event on every
    transition): `data` holds every field, in the model's order, and `extra` the extras of a
    model that keeps them (None for one that does not). Nothing is checked: the caller's
    tests compare what it builds with what validation builds."""
    key = (cls, *data, *extra) if extra else (cls, *data)
    given = _GIVEN.get(key)
    if given is None:
        given = {*data, *extra} if extra else set(data)
        if len(_GIVEN) < GIVEN_MAX:
            _GIVEN[key] = given
    # `rebuilt` with extras, written out: ~15 records a simulated contact come through here, and
    # calling it cost 0.24% more instructions a simulated contact (2,137,056 -> 2,142,136).
    new = new_record(cls)
    set_dict(new, data)
    set_extra(new, extra)
    set_fields_set(new, given)
    set_private(new, None)
    return new


def rebuilt(cls: type[M], data: dict[str, Any], given: set[str]) -> M:
    """A record of a model without extras taken apart earlier (`data` every field, in the
    model's order; `given` the names it was given) and put back together, not validated."""
    new = new_record(cls)
    set_dict(new, data)
    set_extra(new, None)
    set_fields_set(new, given)
    set_private(new, None)
    return new


def evolve(model: M, changes: dict[str, Any]) -> M:
    """`model.model_copy(update=changes)` without pydantic's generic copy machinery (several
    times the cost, and every transition copies its contact a few times). Trusted internal
    records only: like model_copy, nothing in `changes` is validated."""
    new = new_record(type(model))
    values = model.__dict__.copy()
    values.update(changes)
    extra = model.__pydantic_extra__
    set_dict(new, values)
    set_extra(new, None if extra is None else dict(extra))
    given = model.__pydantic_fields_set__
    # The set is shared with `model` when it already names every change: a record is never
    # changed in place (each change is a new one), and the set only tells what was given.
    set_fields_set(new, given if changes.keys() <= given else given | changes.keys())
    set_private(new, model.__pydantic_private__)
    return new
