"""Pure money and period arithmetic for billing: no database, no clock.

- Money is KZT with 2 decimals, quantities (GPU-hours) 6, rates 4. Rounding is half-up and
  happens once per line: quantity from GPU-seconds, net = quantity × price, VAT = net ×
  rate, gross = net + VAT. A document's totals are the exact sums of its lines.
- Periods are half-open `[start, end)`; `None` as an end means "open-ended".
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
SECONDS_PER_HOUR = Decimal(3600)


def round_money(value: Decimal) -> Decimal:
    """Half-up to 2 decimals (KZT)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal) -> Decimal:
    """Half-up to 6 decimals (GPU-hours)."""
    return Decimal(value).quantize(MICRO, rounding=ROUND_HALF_UP)


def gpu_hours(gpu_seconds: int) -> Decimal:
    """GPU-seconds as GPU-hours, exact then half-up to 6 decimals."""
    return round_quantity(Decimal(int(gpu_seconds)) / SECONDS_PER_HOUR)


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    vat: Decimal
    gross: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, vat_rate: Decimal) -> Amounts:
    """One line: net = quantity × price, VAT = net × rate, each half-up to 2 decimals."""
    net = round_money(Decimal(quantity) * Decimal(unit_price))
    vat = round_money(net * Decimal(vat_rate))
    return Amounts(net=net, vat=vat, gross=net + vat)


def totals(lines: Iterable[Amounts]) -> Amounts:
    """The exact sums of the lines (no further rounding)."""
    net = vat = Decimal("0.00")
    for line in lines:
        net += line.net
        vat += line.vat
    return Amounts(net=net, vat=vat, gross=net + vat)


def decimal_places(value: Decimal) -> int:
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --- months --------------------------------------------------------------------------


def is_month_start(day: date) -> bool:
    return day.day == 1


def month_end(period_start: date) -> date:
    """The first day of the next month (the exclusive end of the month)."""
    last = calendar.monthrange(period_start.year, period_start.month)[1]
    return period_start.replace(day=last) + timedelta(days=1)


def turnover_date(period_start: date) -> date:
    """The month's last day: the date of a month's turnover, which decides the VAT rate."""
    return month_end(period_start) - timedelta(days=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


# --- periods -------------------------------------------------------------------------


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two half-open periods share a day (None: open-ended)."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day < end)


@dataclass(frozen=True)
class Period:
    """A dated value (tariff or VAT rate) valid in [start, end)."""

    start: date
    end: date | None
    key: object  # the tariff id, the rate, ...


def find(periods: Sequence[Period], day: date) -> Period | None:
    """The period that covers `day` (periods do not overlap)."""
    for period in periods:
        if covers(period.start, period.end, day):
            return period
    return None


@dataclass
class Segment:
    """GPU-seconds of consecutive days that fall into one period (or into none)."""

    period: Period | None
    start: date  # the segment's bounds, clipped to the window
    end: date
    gpu_seconds: int = 0
    days: list[date] | None = None


def split_by_periods(
    *, usage: dict[date, int], periods: Sequence[Period], window_start: date, window_end: date
) -> list[Segment]:
    """Group days of usage inside [window_start, window_end) by the period covering them.

    Each period that covers any day with usage gives one segment, bounded by the period
    clipped to the window (so a tariff change on the 15th makes the first segment end on
    the 15th and the second start there). Days no period covers are grouped in segments
    with `period=None`, one per run of consecutive uncovered days with usage (their
    `days` list says which).
    """
    found: dict[object, Segment] = {}
    missing: list[Segment] = []
    for day in sorted(usage):
        seconds = usage[day]
        if not (window_start <= day < window_end) or seconds <= 0:
            continue
        period = find(periods, day)
        if period is None:
            last = missing[-1] if missing else None
            if last is not None and last.end == day:
                last.end = day + timedelta(days=1)
                last.gpu_seconds += seconds
                last.days.append(day)
            else:
                missing.append(Segment(None, day, day + timedelta(days=1), seconds, days=[day]))
            continue
        segment = found.get(period.key)
        if segment is None:
            start = max(period.start, window_start)
            end = window_end if period.end is None else min(period.end, window_end)
            segment = found[period.key] = Segment(period, start, end)
        segment.gpu_seconds += seconds
    return sorted(found.values(), key=lambda s: s.start) + missing
