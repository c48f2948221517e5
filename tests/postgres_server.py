"""The test session's PostgreSQL: the benchmarks' helper (initdb + pg_ctl, or SAFETYNET_TEST_POSTGRES_URL)."""

from simulations.bench._postgres import postgres_server, stop_at_once

__all__ = ["postgres_server", "stop_at_once"]
