"""Money and periods, property-tested: half-up rounding per line, totals that are the exact
sums of the lines, VAT by turnover date, and usage split at tariff changes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocations.billing import pricing, selectors
from allocations.billing.pricing import Period

VAT_CHANGE = date(2026, 1, 1)

seconds = st.integers(min_value=0, max_value=10**12)
prices = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)
rates = st.sampled_from([Decimal("0.1200"), Decimal("0.1600"), Decimal("0"), Decimal("0.0875")])
quantities = st.decimals(min_value=0, max_value=10**8, places=6, allow_nan=False)


def half_up_div(numerator: int, denominator: int) -> int:
    """Integer half-up division for non-negative numbers: an independent reference."""
    return (2 * numerator + denominator) // (2 * denominator)


@given(seconds)
def test_gpu_hours_are_seconds_over_3600_half_up_to_6_places(gpu_seconds):
    micro_hours = half_up_div(gpu_seconds * 10**6, 3600)
    assert pricing.gpu_hours(gpu_seconds) == Decimal(micro_hours).scaleb(-6)
    assert pricing.gpu_hours(gpu_seconds).as_tuple().exponent == -6


@given(quantities, prices, rates)
def test_line_rounds_net_and_vat_half_up_to_cents(quantity, price, rate):
    amounts = pricing.line_amounts(quantity=quantity, unit_price=price, vat_rate=rate)
    q_micro, p_cents, r_bp = int(quantity * 10**6), int(price * 100), int(rate * 10**4)
    net_cents = half_up_div(q_micro * p_cents, 10**6)
    vat_cents = half_up_div(net_cents * r_bp, 10**4)
    assert amounts.net == Decimal(net_cents).scaleb(-2)
    assert amounts.vat == Decimal(vat_cents).scaleb(-2)
    assert amounts.gross == amounts.net + amounts.vat


def test_half_up_not_bankers_rounding():
    # 0.5 tiyn rounds up, both for net (2.5 tiyn → 3) and VAT.
    assert pricing.line_amounts(
        quantity=Decimal("0.5"), unit_price=Decimal("0.05"), vat_rate=Decimal("0.12")
    ).net == Decimal("0.03")
    assert pricing.round_money(Decimal("0.125")) == Decimal("0.13")
    assert pricing.gpu_hours(1) == Decimal("0.000278")  # 0.0002777… → up


@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=30), rates)
def test_totals_are_the_exact_sums_of_the_lines(items, rate):
    lines = [pricing.line_amounts(quantity=q, unit_price=p, vat_rate=rate) for q, p in items]
    total = pricing.totals(lines)
    assert total.net == sum(line.net for line in lines)
    assert total.vat == sum(line.vat for line in lines)
    assert total.gross == sum(line.gross for line in lines) == total.net + total.vat


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dates(min_value=date(2009, 1, 1), max_value=date(2040, 12, 31)))
def test_vat_rate_follows_the_turnover_date(day):
    expected = Decimal("0.12") if day < VAT_CHANGE else Decimal("0.16")
    assert selectors.vat_rate_for(day=day) == expected


@pytest.mark.django_db
def test_vat_rate_on_the_boundary_and_for_a_month():
    assert selectors.vat_rate_for(day=date(2025, 12, 31)) == Decimal("0.12")
    assert selectors.vat_rate_for(day=date(2026, 1, 1)) == Decimal("0.16")
    # A month's turnover date is its last day.
    assert pricing.turnover_date(date(2025, 12, 1)) == date(2025, 12, 31)
    assert pricing.turnover_date(date(2024, 2, 1)) == date(2024, 2, 29)


@pytest.mark.django_db
def test_no_vat_rate_is_a_clear_error():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="No VAT rate"):
        selectors.vat_rate_for(day=date(2001, 1, 1))


@given(
    st.integers(min_value=0, max_value=30),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=31, max_size=31),
)
def test_a_price_change_splits_the_month_exactly_at_the_date(change_offset, daily):
    start, end = date(2026, 3, 1), date(2026, 4, 1)
    change = start + timedelta(days=change_offset)
    old = Period(date(2025, 1, 1), change, "old")
    new = Period(change, None, "new")
    usage = {start + timedelta(days=i): s for i, s in enumerate(daily)}
    segments = pricing.split_by_periods(
        usage=usage, periods=[old, new], window_start=start, window_end=end
    )
    by_key = {segment.period.key: segment for segment in segments}
    before = sum(s for day, s in usage.items() if day < change)
    after = sum(s for day, s in usage.items() if day >= change)
    assert set(by_key) == {k for k, s in (("old", before), ("new", after)) if s}
    if before:
        assert (by_key["old"].start, by_key["old"].end) == (start, change)
        assert by_key["old"].gpu_seconds == before
    if after:
        assert (by_key["new"].start, by_key["new"].end) == (change, end)
        assert by_key["new"].gpu_seconds == after


def test_days_without_a_period_are_reported_in_runs():
    start, end = date(2026, 3, 1), date(2026, 4, 1)
    usage = {date(2026, 3, d): 3600 for d in (1, 2, 3, 10, 20)}
    periods = [Period(date(2026, 3, 5), date(2026, 3, 15), "t")]
    segments = pricing.split_by_periods(
        usage=usage, periods=periods, window_start=start, window_end=end
    )
    missing = [s for s in segments if s.period is None]
    assert [(s.days[0], s.days[-1], s.gpu_seconds) for s in missing] == [
        (date(2026, 3, 1), date(2026, 3, 3), 3 * 3600),
        (date(2026, 3, 20), date(2026, 3, 20), 3600),
    ]
    assert [s.gpu_seconds for s in segments if s.period] == [3600]


def test_overlaps_is_half_open():
    assert not pricing.overlaps(date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1), None)
    assert pricing.overlaps(date(2026, 1, 1), None, date(2030, 2, 1), None)
    assert pricing.overlaps(date(2026, 1, 1), date(2026, 2, 2), date(2026, 2, 1), None)
