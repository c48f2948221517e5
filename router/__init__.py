"""SafetyNet router: intake, queue, dispatch, offers, timers, events, HTTP API and CLI."""

from router import model_reads as _model_reads  # noqa: F401  (model attributes read plainly)
