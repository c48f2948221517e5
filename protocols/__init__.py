"""The hotline's written operations protocol: a validated, versioned file the engine enforces."""

from protocols.durations import format_duration, parse_duration
from protocols.loader import ProtocolError, default_protocol, load_protocol, parse_protocol
from protocols.model import (
    CHANNELS,
    Channel,
    EscalationStep,
    NotifyTarget,
    NotifyVia,
    Priority,
    Protocol,
    Triage,
    TriageRule,
)

__all__ = [
    "CHANNELS",
    "Channel",
    "EscalationStep",
    "NotifyTarget",
    "NotifyVia",
    "Priority",
    "Protocol",
    "ProtocolError",
    "Triage",
    "TriageRule",
    "default_protocol",
    "format_duration",
    "load_protocol",
    "parse_duration",
    "parse_protocol",
]
