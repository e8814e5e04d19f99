"""A job's GPU-seconds split over local days, exactly.

GPU-seconds = allocated GPUs × Slurm's elapsed seconds. The total is split at local
midnights (settings.TIME_ZONE; a month boundary is a midnight too) in proportion to the
wall time the job spent on each day. Slurm's elapsed leaves out suspended time, so it
can differ from end − start: the split scales, and largest-remainder rounding makes the
integer parts add up to the total exactly, whatever the ratio. Pure functions: no
database, no settings unless no zone is given.
"""

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils import timezone

ONE_DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)


def job_usage(
    *, start: datetime, end: datetime | None, elapsed_seconds: int, gpus: int, now: datetime
) -> tuple[datetime, int, int]:
    """(end counted to, elapsed seconds, GPU-seconds) of a started job.

    A running job (end unknown) is counted up to `now`; it is corrected when it is read
    again after it ended.
    """
    if end is None:
        end = max(now, start)
        elapsed_seconds = int((end - start).total_seconds())
    elapsed_seconds = max(int(elapsed_seconds), 0)
    return end, elapsed_seconds, max(int(gpus), 0) * elapsed_seconds


def seconds_per_day(*, start: datetime, end: datetime, tz: tzinfo) -> list[tuple[date, int]]:
    """Wall time of [start, end) on each local day it touches, in microseconds."""
    if end <= start:
        return []
    day = start.astimezone(tz).date()
    parts = []
    cursor = start
    while cursor < end:
        midnight = _midnight_after(day, tz)
        upto = min(midnight, end)
        if upto > cursor:
            parts.append((day, (upto - cursor) // MICROSECOND))
        cursor, day = max(upto, cursor), day + ONE_DAY
    return parts


def split_gpu_seconds(
    *, start: datetime, end: datetime, gpu_seconds: int, tz: tzinfo | None = None
) -> list[tuple[date, int]]:
    """`gpu_seconds` over the local days of [start, end): (day, part) with every part
    positive, in day order, adding up to `gpu_seconds` exactly.

    A job that took no wall time (end == start) is counted on the day it started.
    """
    tz = tz or timezone.get_default_timezone()
    if gpu_seconds <= 0:
        return []
    first = start.astimezone(tz).date()
    # Most jobs start and end on the same day: no arithmetic needed.
    if end <= start or end <= _midnight_after(first, tz):
        return [(first, gpu_seconds)]
    weights = seconds_per_day(start=start, end=end, tz=tz)
    parts = zip(weights, _apportion(gpu_seconds, weights), strict=True)
    return [(day, part) for (day, _), part in parts if part > 0]


def _apportion(total: int, weights: list[tuple[date, int]]) -> list[int]:
    """Largest-remainder rounding of total × weight / Σ weights (ties: earlier day)."""
    whole = sum(w for _, w in weights)
    shares = [divmod(total * w, whole) for _, w in weights]
    parts = [q for q, _ in shares]
    left = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


@functools.lru_cache(maxsize=4096)  # every job asks; there are few days
def _midnight_after(day: date, tz: tzinfo) -> datetime:
    """The first instant of the local day after `day`, as an aware UTC datetime."""
    return datetime.combine(day + ONE_DAY, time(0), tzinfo=tz).astimezone(UTC)
