"""Coverage rosters: shifts, published versions, gaps and on-call resolution. Pure domain, no I/O."""

from schedules.coverage import check_coverage, gaps
from schedules.model import ROLES, Coverage, Gap, Rating, Role, Roster, RosterVersion, Shift
from schedules.oncall import OnCall, OnCallIndex, on_call

__all__ = [
    "ROLES",
    "Coverage",
    "Gap",
    "OnCall",
    "OnCallIndex",
    "Rating",
    "Role",
    "Roster",
    "RosterVersion",
    "Shift",
    "check_coverage",
    "gaps",
    "on_call",
]
