"""The customs reference data (regimes, goods lists and tax rates): loaded once and
idempotently, never overwriting the desk's changes, loadable with a migration's historical
models; and the relief partial, which converts nothing to tenge."""

from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from allocations.customs.estimates import estimate_relief
from allocations.customs.models import ImportTaxRate, PreferenceRegime
from allocations.customs.reference_data import load_reference_data
from tests.factories_customs import EquipmentLineFactory, make_case

# --- Reference data and the relief partial ---------------------------------------------------


def test_reference_data_is_idempotent(db):
    first = load_reference_data()
    assert first["regimes"] == 3 and first["rates"] >= 10 and first["goods"] >= 24
    assert load_reference_data() == {"rates": 0, "regimes": 0, "goods": 0}
    hub = PreferenceRegime.objects.get(code="astana-hub-vat")
    assert hub.excluded_origins == ["AM", "BY", "KG", "RU"] and hub.exclusion_removes == "vat"
    assert hub.exempts_vat and not hub.exempts_duty and hub.valid_to == date(2029, 1, 1)
    contract = PreferenceRegime.objects.get(code="investment-contract")
    assert contract.exempts_duty and not contract.exempts_vat
    sez = PreferenceRegime.objects.get(code="sez-special-investment-contract")
    assert sez.exempts_duty and sez.exempts_vat
    vat = ImportTaxRate.objects.filter(kind="vat").order_by("valid_from")
    assert [(r.rate, r.valid_to) for r in vat] == [
        (Decimal("0.1200"), date(2026, 1, 1)),
        (Decimal("0.1600"), None),
    ]
    for regime in (hub, contract, sez):
        prefixes = set(regime.goods.values_list("hs_prefix", flat=True))
        assert {"847150", "847330", "847170", "851762", "850440", "940320", "8415"} <= prefixes


def test_reference_data_does_not_overwrite_staff_changes(db):
    load_reference_data()
    hub = PreferenceRegime.objects.get(code="astana-hub-vat")
    hub.goods.filter(hs_prefix="8415").delete()
    PreferenceRegime.objects.filter(pk=hub.pk).update(name_en="Renamed")
    load_reference_data()
    hub.refresh_from_db()
    assert hub.name_en == "Renamed" and not hub.goods.filter(hs_prefix="8415").exists()


def test_the_relief_partial_says_there_is_no_conversion(db):
    load_reference_data()
    regime = PreferenceRegime.objects.get(code="astana-hub-vat")
    case = make_case(regime=regime, lines=0, currency="USD")
    EquipmentLineFactory(case=case, quantity=Decimal("2"), unit_price=Decimal("100.00"))
    relief = estimate_relief(case=case)
    html = render_to_string("customs/regimes/_relief.html", {"relief": relief})
    assert "No conversion to tenge" in html and "USD" in html
    assert "32.00" in html  # 16 % VAT of 200.00, relieved


def test_reference_data_loads_with_a_migrations_historical_models(db):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(connection).project_state()
    assert load_reference_data(apps=state.apps)["regimes"] == 3
    assert PreferenceRegime.objects.get(code="astana-hub-vat").goods.count() == 11
