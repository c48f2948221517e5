"""Coverage rosters: shifts, rotations, versions, gaps and on-call resolution. Pure domain, no I/O."""

from schedules.adjust import Override, Swap, TimeOff
from schedules.coverage import check_coverage, covered_fraction, gaps, uncovered
from schedules.csvio import CsvImportError, RowError, read_csv, write_csv
from schedules.diff import ResponderChanges, RoleSpan, RosterDiff, diff
from schedules.ical import ICalImportError, from_ical, shift_uid, to_ical, version_to_ical
from schedules.localtime import to_utc
from schedules.model import (
    ROLES,
    Coverage,
    Gap,
    IrregularShift,
    Rating,
    Role,
    Roster,
    RosterVersion,
    Shift,
    expand,
    irregular_shifts,
)
from schedules.oncall import OnCall, OnCallIndex, on_call
from schedules.report import (
    AttributeCoverage,
    CoverageReport,
    DoubleBooking,
    LongStretch,
    ResponderProfile,
    attribute_coverage,
    coverage_report,
    double_bookings,
    long_stretches,
    roster_report,
)
from schedules.rotation import WEEKDAYS, Rotation, Turn, Weekday, turns

__all__ = [
    "ROLES",
    "WEEKDAYS",
    "AttributeCoverage",
    "Coverage",
    "CoverageReport",
    "CsvImportError",
    "DoubleBooking",
    "Gap",
    "ICalImportError",
    "IrregularShift",
    "LongStretch",
    "OnCall",
    "OnCallIndex",
    "Override",
    "Rating",
    "ResponderChanges",
    "ResponderProfile",
    "Role",
    "RoleSpan",
    "Roster",
    "RosterDiff",
    "RosterVersion",
    "Rotation",
    "RowError",
    "Shift",
    "Swap",
    "TimeOff",
    "Turn",
    "Weekday",
    "attribute_coverage",
    "check_coverage",
    "coverage_report",
    "covered_fraction",
    "diff",
    "double_bookings",
    "expand",
    "from_ical",
    "gaps",
    "irregular_shifts",
    "long_stretches",
    "on_call",
    "read_csv",
    "roster_report",
    "shift_uid",
    "to_ical",
    "to_utc",
    "turns",
    "uncovered",
    "version_to_ical",
    "write_csv",
]
