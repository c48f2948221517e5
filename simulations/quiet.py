"""Silence the router's logs for a simulation run, so that a disabled log line costs nothing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import structlog

# What structlog.get_logger returns: a proxy that assembles a bound logger on every call.
_LazyProxy = type(structlog.get_logger())


def _router_modules() -> list[ModuleType]:
    return [
        module
        for name, module in list(sys.modules.items())
        if (name == "router" or name.startswith("router.")) and module is not None
    ]


@contextmanager
def quiet_router_logs() -> Iterator[None]:
    """A simulated year would write millions of log lines: silence them for the run only.

    Filtering alone is not enough: each module's lazy `log` proxy still assembles a new bound
    logger for every line (a few microseconds, millions of times). For the run, each router
    module's `log` is swapped for one logger bound once under the filtering configuration, whose
    info/warning/error are no-ops; the proxies are put back afterwards.
    """
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    swapped: list[tuple[ModuleType, Any]] = []
    for module in _router_modules():
        proxy = vars(module).get("log")
        if isinstance(proxy, _LazyProxy):
            swapped.append((module, proxy))
            vars(module)["log"] = proxy.bind()
    try:
        yield
    finally:
        for module, proxy in swapped:
            vars(module)["log"] = proxy
        structlog.configure(**saved)
