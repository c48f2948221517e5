"""SafetyNet router: intake, queue, dispatch, offers, timers, events, HTTP API and CLI."""
