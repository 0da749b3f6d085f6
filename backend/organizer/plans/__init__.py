"""Seating-plan files: pretix's published format and this project's own, read (checked, with a JSON pointer for
the first bad value) into `db.seating.Seating`, and written back. No I/O here; docs/seating-plans.md is the guide."""

from backend.organizer.plans._limits import MAX_SEATS
from backend.organizer.plans._pretix import PretixPlan
from backend.organizer.plans._read import (
    ERROR_CODE,
    PlanFormat,
    ReadPlan,
    plan_error,
    read_plan,
    validation_pointer,
)
from backend.organizer.plans._showtime import FORMAT as SHOWTIME_FORMAT
from backend.organizer.plans._showtime import ShowtimeLayout
from backend.organizer.plans._write import to_pretix, to_showtime

__all__ = [
    "ERROR_CODE",
    "MAX_SEATS",
    "SHOWTIME_FORMAT",
    "PlanFormat",
    "PretixPlan",
    "ReadPlan",
    "ShowtimeLayout",
    "plan_error",
    "read_plan",
    "to_pretix",
    "to_showtime",
    "validation_pointer",
]
