"""Erlang C (M/M/c): the chance of waiting, mean wait and P(wait > t), in plain Python."""

from __future__ import annotations

import math


def erlang_b(c: int, load: float) -> float:
    """Blocking probability of c servers offered `load` erlangs (the stable recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(c: int, load: float) -> float:
    """Probability an arrival has to wait; 1 when the servers cannot keep up."""
    if c <= 0 or load >= c:
        return 1.0
    if load <= 0:
        return 0.0
    b = erlang_b(c, load)
    return c * b / (c - load * (1.0 - b))


def mean_wait(c: int, rate: float, mean_service: float) -> float:
    """Mean time in queue for `rate` arrivals per second and `mean_service` seconds each."""
    load = rate * mean_service
    if load >= c:
        return math.inf
    return erlang_c(c, load) * mean_service / (c - load)


def p_wait_over(c: int, rate: float, mean_service: float, t: float) -> float:
    """P(wait > t) under FIFO."""
    load = rate * mean_service
    if load >= c:
        return 1.0
    return erlang_c(c, load) * math.exp(-(c - load) * t / mean_service)


def servers_for(rate: float, mean_service: float, t: float, pct: float, least: int = 0) -> int:
    """The fewest servers (at least `least`) with P(wait <= t) >= pct/100."""
    c = max(least, math.floor(rate * mean_service) + 1, 1 if rate > 0 else 0)
    while c < 10_000 and 1.0 - p_wait_over(c, rate, mean_service, t) < pct / 100.0:
        c += 1
    return c
