"""Allocation periods: plain date arithmetic, no database."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it is shorter (31 Jan + 1)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def requested_period(*, application, today: date) -> tuple[date, date]:
    """The period the application asked for, starting no earlier than today.

    Used for approvals the portal makes itself (waitlist offers) and to pre-fill the
    decision form.
    """
    start = max(application.start_date or today, today)
    months = application.duration_months or application.call.max_duration_months
    return start, add_months(start, months)
