"""Helpers for the tests of the import desk's regime and tax-rate pages
(test_customs_regimes, test_customs_goods_lists, test_customs_tax_rates): a world of two
regimes with goods lists and a duty rate, and the tax-rate form's data.

Import `regimes_world` into a test module to have the fixture `world` there."""

from decimal import Decimal

import pytest

from tests.factories_customs import ImportTaxRateFactory, PreferenceRegimeFactory


@pytest.fixture(name="world")
def regimes_world(db):
    regime = PreferenceRegimeFactory(code="astana-hub", name_en="Astana Hub VAT")
    other = PreferenceRegimeFactory(goods=[("847150", "1", "Servers")])
    rate = ImportTaxRateFactory(hs_prefix="8544", rate=Decimal("0.05"))
    return {
        "regime": regime,
        "item": regime.goods.get(hs_prefix="847150"),
        "other_item": other.goods.get(),
        "rate": rate,
    }


def rate_data(**overrides) -> dict:
    data = {
        "kind": "duty",
        "hs_prefix": "8504 40",
        "rate_percent": "7.5",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "note": "Example",
    }
    data.update(overrides)
    return data
