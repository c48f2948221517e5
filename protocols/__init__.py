"""The hotline's written operations protocol: a validated, versioned file the engine enforces."""

from protocols.base import (
    CHANNELS,
    HANDLE_WITH_CARE,
    IMMINENT_DANGER,
    MINOR,
    VULNERABLE_ADULT,
    Channel,
    NotifyTarget,
    NotifyVia,
    Priority,
)
from protocols.care import (
    Agency,
    CallbackReason,
    CallbackRule,
    ChecklistItem,
    CloseField,
    DispositionRule,
    MandatedReporting,
    Partner,
    ReferralFollowUp,
    Retention,
)
from protocols.channels import ChannelSettings, TextKind
from protocols.check import CheckReport, check_file, check_report, check_text
from protocols.durations import format_duration, parse_duration
from protocols.history import changes
from protocols.hours import TimeWindow
from protocols.loader import (
    ProtocolError,
    default_protocol,
    example_protocol,
    load_protocol,
    parse_protocol,
    read_text,
)
from protocols.manual import render_html, render_markdown
from protocols.model import EscalationStep, Protocol
from protocols.staffing import Debrief, Feedback, StaffRules
from protocols.triage import DangerResponse, FlagSpec, RepeatRule, Triage, TriageRule

__all__ = [
    "CHANNELS",
    "HANDLE_WITH_CARE",
    "IMMINENT_DANGER",
    "MINOR",
    "VULNERABLE_ADULT",
    "Agency",
    "CallbackReason",
    "CallbackRule",
    "Channel",
    "ChannelSettings",
    "CheckReport",
    "ChecklistItem",
    "CloseField",
    "DangerResponse",
    "Debrief",
    "DispositionRule",
    "EscalationStep",
    "Feedback",
    "FlagSpec",
    "MandatedReporting",
    "NotifyTarget",
    "NotifyVia",
    "Partner",
    "Priority",
    "Protocol",
    "ProtocolError",
    "ReferralFollowUp",
    "RepeatRule",
    "Retention",
    "StaffRules",
    "TextKind",
    "TimeWindow",
    "Triage",
    "TriageRule",
    "changes",
    "check_file",
    "check_report",
    "check_text",
    "default_protocol",
    "example_protocol",
    "format_duration",
    "load_protocol",
    "parse_duration",
    "parse_protocol",
    "read_text",
    "render_html",
    "render_markdown",
]
