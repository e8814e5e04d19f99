"""Estimated relief of a case (allocations.customs.estimates): duty by the longest HS
prefix, VAT on value plus duty by date, exemptions and origin exclusions per line, half-up
rounding per line, totals as sums of lines."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from allocations.customs.estimates import estimate_relief
from allocations.customs.models import ImportCase, ImportTaxRate
from tests.factories_customs import (
    EquipmentLineFactory,
    ImportTaxRateFactory,
    PreferenceRegimeFactory,
    make_case,
)

D = Decimal


@pytest.fixture
def rates(db):
    vat = ImportTaxRate.Kind.VAT
    ImportTaxRateFactory(
        kind=vat, rate=D("0.12"), valid_from=date(2009, 1, 1), valid_to=date(2026, 1, 1)
    )
    ImportTaxRateFactory(kind=vat, rate=D("0.16"), valid_from=date(2026, 1, 1))
    ImportTaxRateFactory(hs_prefix="", rate=D("0.10"))
    ImportTaxRateFactory(hs_prefix="8471", rate=D("0"))
    ImportTaxRateFactory(hs_prefix="847150", rate=D("0.02"))
    ImportTaxRateFactory(hs_prefix="8544", rate=D("0.05"))


def _case(regime=None, **kwargs):
    return make_case(lines=0, regime=regime or PreferenceRegimeFactory(), **kwargs)


def _line(case, **fields):
    fields.setdefault("quantity", D("2"))
    fields.setdefault("unit_price", D("100.00"))
    return EquipmentLineFactory(case=case, **fields)


@pytest.mark.parametrize(
    ("hs_code", "duty_rate"),
    [
        ("8471500000", D("0.02")),  # 847150 beats 8471
        ("8471700000", D("0")),  # 8471
        ("8544429009", D("0.05")),
        ("9403200000", D("0.10")),  # the default
    ],
)
def test_duty_rate_is_the_longest_matching_prefix(rates, hs_code, duty_rate):
    case = _case()
    _line(case, hs_code=hs_code)
    (line,) = estimate_relief(case=case).per_line
    assert line.duty_rate == duty_rate
    assert line.duty == (D("200.00") * duty_rate).quantize(D("0.01"))


def test_vat_is_on_value_plus_duty_at_the_rate_of_the_day(rates):
    case = _case()
    _line(case, hs_code="8471500000")  # 200.00, duty 2 % = 4.00
    relief = estimate_relief(case=case, on=date(2026, 6, 1))
    (line,) = relief.per_line
    assert (line.customs_value, line.duty, line.vat) == (D("200.00"), D("4.00"), D("32.64"))
    assert line.vat_rate == D("0.16")
    before = estimate_relief(case=case, on=date(2025, 12, 31)).per_line[0]
    assert (before.vat_rate, before.vat) == (D("0.12"), D("24.48"))


def test_the_default_day_is_the_planned_import_date(rates):
    case = _case(planned_import_date=date(2025, 11, 3))
    _line(case)
    relief = estimate_relief(case=case)
    assert relief.on == date(2025, 11, 3)
    assert relief.per_line[0].vat_rate == D("0.12")


@pytest.mark.parametrize(
    ("duty", "vat", "duty_relieved", "vat_relieved"),
    [
        (True, True, D("4.00"), D("32.64")),
        # Duty exempt only: VAT is charged on the value alone, 32.00, so 0.64 is relieved.
        (True, False, D("4.00"), D("0.64")),
        (False, True, D("0.00"), D("32.64")),
    ],
)
def test_exemptions_of_the_regime(rates, duty, vat, duty_relieved, vat_relieved):
    case = _case(PreferenceRegimeFactory(exempts_duty=duty, exempts_vat=vat))
    _line(case, hs_code="8471500000")
    relief = estimate_relief(case=case, on=date(2026, 6, 1))
    assert (relief.duty, relief.vat) == (D("4.00"), D("32.64"))
    assert (relief.duty_relieved, relief.vat_relieved) == (duty_relieved, vat_relieved)
    assert relief.duty_payable == D("4.00") - duty_relieved
    assert relief.vat_payable == D("32.64") - vat_relieved
    assert relief.relieved == duty_relieved + vat_relieved


@pytest.mark.parametrize(
    ("removes", "duty_relieved", "vat_relieved"),
    [
        ("vat", D("4.00"), D("0.64")),
        ("duty", D("0.00"), D("32.64")),
        ("both", D("0.00"), D("0.00")),
    ],
)
def test_origin_exclusions_per_line(rates, removes, duty_relieved, vat_relieved):
    regime = PreferenceRegimeFactory(excluded_origins=["RU", "BY"], exclusion_removes=removes)
    case = _case(regime)
    _line(case, hs_code="8471500000", origin_country="RU")
    _line(case, hs_code="8471500000", origin_country="US")
    excluded, other = estimate_relief(case=case, on=date(2026, 6, 1)).per_line
    assert excluded.excluded_country and not other.excluded_country
    assert (excluded.duty_relieved, excluded.vat_relieved) == (duty_relieved, vat_relieved)
    assert (other.duty_relieved, other.vat_relieved) == (D("4.00"), D("32.64"))


def test_lines_off_the_goods_list_are_not_relieved(rates):
    case = _case()
    _line(case, hs_code="0101210000")  # horses: default duty 10 %
    _line(case, hs_code="8473301000")  # GPU boards: item 2
    off, on = estimate_relief(case=case, on=date(2026, 6, 1)).per_line
    assert not off.on_goods_list and off.goods_item == ""
    assert (off.duty, off.duty_relieved, off.vat_relieved) == (D("20.00"), D("0"), D("0"))
    assert on.on_goods_list and on.goods_item == "2"


def test_half_up_rounding_per_line_and_totals_as_sums(rates):
    case = _case(PreferenceRegimeFactory(exempts_vat=False))
    # 1.25 at 10 % = 0.125 → 0.13 on each line; rounding the sum would give 0.25.
    _line(case, hs_code="9403200000", quantity=D("1"), unit_price=D("1.25"))
    _line(case, hs_code="9403200000", quantity=D("1"), unit_price=D("1.25"))
    # 3 × 0.34 = 1.02; duty 10 % = 0.102 → 0.10; VAT 16 % of 1.12 = 0.1792 → 0.18.
    _line(case, hs_code="9403200000", quantity=D("3"), unit_price=D("0.34"))
    relief = estimate_relief(case=case, on=date(2026, 6, 1))
    first, second, third = relief.per_line
    assert first.duty == second.duty == D("0.13")
    assert (third.customs_value, third.duty, third.vat) == (D("1.02"), D("0.10"), D("0.18"))
    assert relief.duty == first.duty + second.duty + third.duty
    assert relief.customs_value == sum(line.customs_value for line in relief.per_line)
    assert relief.vat == sum(line.vat for line in relief.per_line)
    # 1.5 × 333.33 = 499.995 → 500.00
    case2 = _case()
    _line(case2, quantity=D("1.5"), unit_price=D("333.33"), unit="kg")
    assert estimate_relief(case=case2, on=date(2026, 6, 1)).customs_value == D("500.00")


def test_missing_rates_count_as_zero_and_are_named(db):
    ImportTaxRateFactory(hs_prefix="8471", rate=D("0"))
    case = _case()
    _line(case, hs_code="8471500000")
    _line(case, hs_code="8544429009")
    relief = estimate_relief(case=case, on=date(2026, 6, 1))
    assert relief.missing_duty_rates == ("8544429009",)
    assert relief.missing_vat_rate
    assert relief.vat == D("0.00") and relief.duty == D("0.00")


def test_an_empty_case(rates):
    relief = estimate_relief(case=_case(), on=date(2026, 6, 1))
    assert relief.per_line == [] and relief.customs_value == D("0.00")
    assert not relief.missing_vat_rate


def test_the_currency_is_the_contract_currency(rates):
    case = _case(currency="EUR")
    _line(case)
    assert estimate_relief(case=case).currency == "EUR"


def test_queries_do_not_grow_with_lines(rates):
    small = _case()
    _line(small)
    large = make_case(lines=200, serials_per_line=1)

    def count(case):
        case = ImportCase.objects.get(pk=case.pk)
        with CaptureQueriesContext(connection) as captured:
            estimate_relief(case=case)
        return len(captured)

    assert count(small) == count(large) <= 4


@settings(max_examples=40, deadline=None)
@given(
    quantity=st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3),
    price=st.decimals(min_value=D("0"), max_value=D("1000000"), places=2),
    duty_rate=st.decimals(min_value=D("0"), max_value=D("0.3"), places=4),
    vat_rate=st.decimals(min_value=D("0"), max_value=D("0.2"), places=4),
)
@pytest.mark.django_db
def test_relief_never_exceeds_the_taxes_and_full_relief_is_everything(
    quantity, price, duty_rate, vat_rate
):
    ImportTaxRate.objects.all().delete()
    ImportTaxRateFactory(kind=ImportTaxRate.Kind.VAT, rate=vat_rate)
    ImportTaxRateFactory(rate=duty_rate)
    for duty, vat in ((True, True), (True, False), (False, True)):
        case = _case(PreferenceRegimeFactory(exempts_duty=duty, exempts_vat=vat))
        _line(case, quantity=quantity, unit_price=price, unit="kg")
        (line,) = estimate_relief(case=case, on=date(2026, 6, 1)).per_line
        assert D(0) <= line.duty_relieved <= line.duty
        assert D(0) <= line.vat_relieved <= line.vat
        if duty and vat:
            assert (line.duty_payable, line.vat_payable) == (D(0), D(0))
        for amount in (line.customs_value, line.duty, line.vat, line.vat_relieved):
            assert amount == amount.quantize(D("0.01"))
