"""Splitting a job's GPU-seconds over local days (pure functions, no database)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from allocations.usage.splitting import job_usage, seconds_per_day, split_gpu_seconds

ALMATY = ZoneInfo("Asia/Almaty")
BERLIN = ZoneInfo("Europe/Berlin")  # has DST: days of 23 and 25 hours
NEW_YORK = ZoneInfo("America/New_York")  # behind UTC: local days end after UTC ones

starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=40 * 86400)
zones = st.sampled_from([ALMATY, BERLIN, NEW_YORK, UTC])
# No per-example deadline: a loaded CI machine must not turn slowness into a failure.
exact = settings(deadline=None, max_examples=300)


def touched_days(start: datetime, end: datetime, tz) -> set[date]:
    """Every local date with an instant of [start, end) (start's date when empty)."""
    first = start.astimezone(tz).date()
    if end <= start:
        return {first}
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


@exact
@given(start=starts, seconds=durations, gpu_seconds=st.integers(0, 10**12), tz=zones)
def test_parts_add_up_exactly_are_positive_and_only_on_touched_days(
    start, seconds, gpu_seconds, tz
):
    end = start + timedelta(seconds=seconds)
    parts = split_gpu_seconds(start=start, end=end, gpu_seconds=gpu_seconds, tz=tz)
    assert sum(part for _, part in parts) == gpu_seconds
    assert all(part > 0 for _, part in parts)
    days = [day for day, _ in parts]
    assert days == sorted(set(days))  # each day once, in order
    assert set(days) <= touched_days(start, end, tz)


@exact
@given(
    start=starts,
    seconds=st.integers(1, 20 * 86400),
    gpus=st.integers(1, 64),
    suspended=st.integers(0, 5 * 86400),
    tz=zones,
)
def test_elapsed_other_than_wall_time_is_scaled(start, seconds, gpus, suspended, tz):
    """Slurm's elapsed leaves out suspended time; the split still adds up."""
    end = start + timedelta(seconds=seconds)
    total = gpus * max(seconds - suspended, 0)
    parts = split_gpu_seconds(start=start, end=end, gpu_seconds=total, tz=tz)
    assert sum(part for _, part in parts) == total


@exact
@given(start=starts, seconds=st.integers(1, 20 * 86400), tz=zones)
def test_wall_time_per_day_adds_up_to_the_duration(start, seconds, tz):
    end = start + timedelta(seconds=seconds)
    per_day = seconds_per_day(start=start, end=end, tz=tz)
    assert sum(us for _, us in per_day) == seconds * 1_000_000
    # Every full local day in between has its real length (23, 24 or 25 hours).
    for day, us in per_day[1:-1]:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        length = (midnight + timedelta(days=1)).astimezone(UTC) - midnight.astimezone(UTC)
        assert us == length // timedelta(microseconds=1)


def test_a_job_within_one_day_is_counted_on_that_day():
    start = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 09:00 in Almaty
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(hours=3), gpu_seconds=8 * 10800, tz=ALMATY
    )
    assert parts == [(date(2026, 3, 10), 86400)]


def test_local_midnight_not_utc_midnight_splits():
    # 18:00–22:00 UTC is 23:00–03:00 in Almaty (UTC+5): one hour before, three after.
    start = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(hours=4), gpu_seconds=4 * 3600, tz=ALMATY
    )
    assert parts == [(date(2026, 3, 10), 3600), (date(2026, 3, 11), 3 * 3600)]
    # In UTC the same job is one day only.
    assert split_gpu_seconds(
        start=start, end=start + timedelta(hours=4), gpu_seconds=4 * 3600, tz=UTC
    ) == [(date(2026, 3, 10), 4 * 3600)]


def test_month_boundary_gives_each_month_its_share():
    # 31 January 23:00 – 1 February 01:00 Almaty, 2 GPUs.
    start = datetime(2026, 1, 31, 23, 0, tzinfo=ALMATY)
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(hours=2), gpu_seconds=2 * 7200, tz=ALMATY
    )
    assert parts == [(date(2026, 1, 31), 7200), (date(2026, 2, 1), 7200)]


def test_year_and_leap_day_boundaries():
    start = datetime(2028, 2, 28, 12, 0, tzinfo=ALMATY)
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(days=2), gpu_seconds=48 * 3600, tz=ALMATY
    )
    assert parts == [
        (date(2028, 2, 28), 12 * 3600),
        (date(2028, 2, 29), 24 * 3600),
        (date(2028, 3, 1), 12 * 3600),
    ]
    start = datetime(2026, 12, 31, 18, 0, tzinfo=ALMATY)
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(hours=12), gpu_seconds=12, tz=ALMATY
    )
    assert parts == [(date(2026, 12, 31), 6), (date(2027, 1, 1), 6)]


def test_largest_remainder_rounding_is_exact_and_prefers_the_larger_share():
    # 10 GPU-seconds over 1/3 and 2/3 of the wall time: 3.33 and 6.67 -> 3 and 7.
    start = datetime(2026, 5, 1, 23, 0, tzinfo=ALMATY)
    parts = split_gpu_seconds(
        start=start, end=start + timedelta(hours=3), gpu_seconds=10, tz=ALMATY
    )
    assert parts == [(date(2026, 5, 1), 3), (date(2026, 5, 2), 7)]


def test_dst_day_in_another_zone_has_its_real_length():
    # Berlin's 29 March 2026 has 23 hours: a job over all of it and the next day.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 31, 0, 0, tzinfo=BERLIN)
    parts = split_gpu_seconds(start=start, end=end, gpu_seconds=47 * 3600, tz=BERLIN)
    assert parts == [(date(2026, 3, 29), 23 * 3600), (date(2026, 3, 30), 24 * 3600)]


def test_a_job_without_wall_time_is_counted_on_its_start_day():
    start = datetime(2026, 6, 1, 12, 0, tzinfo=ALMATY)
    assert split_gpu_seconds(start=start, end=start, gpu_seconds=5, tz=ALMATY) == [
        (date(2026, 6, 1), 5)
    ]
    assert split_gpu_seconds(start=start, end=start, gpu_seconds=0, tz=ALMATY) == []


def test_a_running_job_counts_to_now():
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    now = start + timedelta(minutes=90)
    end, elapsed, gpu_seconds = job_usage(
        start=start, end=None, elapsed_seconds=17, gpus=4, now=now
    )
    assert (end, elapsed, gpu_seconds) == (now, 5400, 4 * 5400)
    # Ended: Slurm's elapsed is taken as it is.
    ended = start + timedelta(hours=2)
    assert job_usage(start=start, end=ended, elapsed_seconds=7000, gpus=2, now=now) == (
        ended,
        7000,
        14000,
    )
