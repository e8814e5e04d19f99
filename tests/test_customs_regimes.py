"""Regime pages of the import desk and the applicants' catalogue: who may use each route,
bad input on every form (a pasted goods list with a bad line keeps nothing and names the
line), audit events, and the reference data."""

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from allocations.core.models import AuditEvent
from allocations.customs.estimates import estimate_relief
from allocations.customs.models import ImportTaxRate, PreferenceRegime, RegimeGoodsItem
from allocations.customs.reference_data import load_reference_data
from tests.conftest import ROLE_FIXTURES
from tests.factories_customs import (
    EquipmentLineFactory,
    ImportTaxRateFactory,
    PreferenceRegimeFactory,
    make_case,
)

DESK = {"import_desk", "admin_user"}


@pytest.fixture
def world(db):
    regime = PreferenceRegimeFactory(code="astana-hub", name_en="Astana Hub VAT")
    other = PreferenceRegimeFactory(goods=[("847150", "1", "Servers")])
    rate = ImportTaxRateFactory(hs_prefix="8544", rate=Decimal("0.05"))
    return {
        "regime": regime,
        "item": regime.goods.get(hs_prefix="847150"),
        "other_item": other.goods.get(),
        "rate": rate,
    }


def verbs() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))


def regime_data(**overrides) -> dict:
    data = {
        "code": "free-zone",
        "name_en": "Free zone",
        "name_ru": "Свободная зона",
        "name_kk": "Еркін аймақ",
        "legal_basis": "Law on special economic zones, Article 1",
        "authority": "SEZ management company",
        "exempts_duty": "on",
        "exempts_vat": "on",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "excluded_origins": ["RU", "BY"],
        "exclusion_removes": "vat",
        "required_documents": ["contract", "packing_list"],
        "report_every_months": "12",
        "monitoring_years": "5",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


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


# --- Who may use what ----------------------------------------------------------------------


def _routes(world):
    regime, item, rate = world["regime"], world["item"], world["rate"]
    return {
        "regime_list": ("get", reverse("customs:regime_list"), {}, 200),
        "regime_create": ("get", reverse("customs:regime_create"), {}, 200),
        "regime_create_post": (
            "post",
            reverse("customs:regime_create"),
            regime_data(),
            302,
        ),
        "regime_edit": ("get", reverse("customs:regime_edit", args=[regime.pk]), {}, 200),
        "regime_edit_post": (
            "post",
            reverse("customs:regime_edit", args=[regime.pk]),
            regime_data(code="astana-hub"),
            302,
        ),
        "regime_goods": (
            "post",
            reverse("customs:regime_goods", args=[regime.pk]),
            {"lines": "8471 80;12;GPU modules"},
            302,
        ),
        "regime_goods_delete": (
            "post",
            reverse("customs:regime_goods_delete", args=[regime.pk, item.pk]),
            {},
            302,
        ),
        "tax_rate_list": ("get", reverse("customs:tax_rate_list"), {}, 200),
        "tax_rate_create": ("post", reverse("customs:tax_rate_list"), rate_data(), 302),
        "tax_rate_edit": ("get", reverse("customs:tax_rate_edit", args=[rate.pk]), {}, 200),
        "tax_rate_edit_post": (
            "post",
            reverse("customs:tax_rate_edit", args=[rate.pk]),
            rate_data(hs_prefix="8544", rate_percent="4"),
            302,
        ),
        "tax_rate_delete": (
            "post",
            reverse("customs:tax_rate_delete", args=[rate.pk]),
            {},
            302,
        ),
    }


ROUTES = [
    "regime_list",
    "regime_create",
    "regime_create_post",
    "regime_edit",
    "regime_edit_post",
    "regime_goods",
    "regime_goods_delete",
    "tax_rate_list",
    "tax_rate_create",
    "tax_rate_edit",
    "tax_rate_edit_post",
    "tax_rate_delete",
]


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ROUTES)
def test_desk_routes_per_role(client_as, world, role, route):
    method, url, data, success = _routes(world)[route]
    client, _user = client_as(role)
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url, data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in DESK:
        assert response.status_code == success, response.content.decode()[:2000]
        if method == "post":
            assert AuditEvent.objects.count() > before
        return
    else:
        assert response.status_code == 403
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_catalogue_for_everyone_signed_in(client_as, world, role):
    client, _user = client_as(role)
    response = client.get(reverse("customs:regime_catalogue"))
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert "Astana Hub VAT" in page and "8471 50" in page and "Servers with GPUs" in page
    assert ("Import tax rates" in page) == (role in DESK)  # the desk's sub-navigation


def test_catalogue_lists_only_regimes_open_for_new_cases(client, applicant, db):
    PreferenceRegimeFactory(name_en="Open one")
    PreferenceRegimeFactory(name_en="Closed one", is_active=False)
    PreferenceRegimeFactory(
        name_en="Expired one", valid_from=date(2015, 1, 1), valid_to=date(2020, 1, 1)
    )
    client.force_login(applicant)
    page = client.get(reverse("customs:regime_catalogue")).content.decode()
    assert "Open one" in page
    assert "Closed one" not in page and "Expired one" not in page


def test_catalogue_shows_names_in_the_language_of_the_request(client, applicant, world):
    client.force_login(applicant)
    page = client.get(reverse("customs:regime_catalogue"), HTTP_ACCEPT_LANGUAGE="ru")
    assert world["regime"].name_ru in page.content.decode()


def test_unknown_ids_are_404(client, import_desk, db):
    client.force_login(import_desk)
    assert client.get(reverse("customs:regime_edit", args=[999_999])).status_code == 404
    assert client.get(reverse("customs:tax_rate_edit", args=[999_999])).status_code == 404
    assert client.post(reverse("customs:regime_goods", args=[999_999])).status_code == 404
    assert client.post(reverse("customs:tax_rate_delete", args=[999_999])).status_code == 404


def test_get_is_refused_on_post_only_routes(client, import_desk, world):
    client.force_login(import_desk)
    regime, item = world["regime"], world["item"]
    url = reverse("customs:regime_goods_delete", args=[regime.pk, item.pk])
    assert client.get(url).status_code == 405
    assert RegimeGoodsItem.objects.filter(pk=item.pk).exists()


# --- Regimes -------------------------------------------------------------------------------


def test_list_shows_status_and_case_counts(client, import_desk, world):
    make_case(regime=world["regime"])
    PreferenceRegimeFactory(
        name_en="Old regime", valid_from=date(2015, 1, 1), valid_to=date(2020, 1, 1)
    )
    client.force_login(import_desk)
    page = client.get(reverse("customs:regime_list")).content.decode()
    assert "Astana Hub VAT" in page and "Old regime" in page
    assert "Expired" in page and "Open" in page
    assert "1 / 1" in page


def test_create_a_regime(client, import_desk, db):
    client.force_login(import_desk)
    response = client.post(reverse("customs:regime_create"), regime_data(code="Free-Zone"))
    regime = PreferenceRegime.objects.get(code="free-zone")
    assert response["Location"] == reverse("customs:regime_edit", args=[regime.pk])
    assert regime.excluded_origins == ["BY", "RU"]
    assert regime.exclusion_removes == "vat"
    assert regime.required_documents == ["contract", "packing_list"]
    assert regime.exempts_duty and regime.exempts_vat and regime.valid_to is None
    event = AuditEvent.objects.get(verb="customs.regime_created")
    assert event.actor == import_desk and event.target_id == str(regime.pk)
    page = client.get(response["Location"]).content.decode()
    assert "The regime is saved" in page and "The list is empty" in page


def test_edit_a_regime_records_what_changed(client, import_desk, world):
    regime = world["regime"]
    client.force_login(import_desk)
    data = regime_data(code="astana-hub", exempts_duty=None, excluded_origins=["AM"])
    response = client.post(reverse("customs:regime_edit", args=[regime.pk]), data)
    assert response.status_code == 302
    regime.refresh_from_db()
    assert not regime.exempts_duty and regime.excluded_origins == ["AM"]
    event = AuditEvent.objects.get(verb="customs.regime_changed")
    assert "exempts_duty" in event.data["changed"]
    assert event.data["before"]["exempts_duty"] is True
    page = client.get(reverse("customs:regime_edit", args=[regime.pk])).content.decode()
    assert "customs.regime_changed" in page  # the history


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": ""}, "This field is required."),
        ({"code": "free zone!"}, "Enter a valid “slug”"),
        ({"code": "astana-hub"}, "Another regime already has the code"),
        ({"name_kk": ""}, "This field is required."),
        ({"exempts_duty": None, "exempts_vat": None}, "tick at least one"),
        ({"valid_from": "2026-13-01"}, "Enter a valid date."),
        ({"valid_to": "2025-12-31"}, "The end must be after the start."),
        ({"excluded_origins": ["XX"]}, "Select a valid choice"),
        (
            {"exempts_vat": None, "exclusion_removes": "vat"},
            "would lose an exemption this regime does not give",
        ),
        ({"exclusion_removes": "all"}, "Select a valid choice"),
        ({"required_documents": ["passport"]}, "Select a valid choice"),
        ({"report_every_months": "-1"}, "greater than or equal to 0"),
        ({"monitoring_years": "many"}, "Enter a whole number."),
    ],
)
def test_bad_regime_input_is_explained_and_nothing_is_saved(
    client, import_desk, world, overrides, message
):
    client.force_login(import_desk)
    count = PreferenceRegime.objects.count()
    response = client.post(reverse("customs:regime_create"), regime_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PreferenceRegime.objects.count() == count
    assert not AuditEvent.objects.exists()
    # The same input on the edit form of an existing regime changes nothing either.
    regime = world["regime"]
    edit = regime_data(**{"code": "astana-hub", **overrides})
    if overrides.get("code") == "astana-hub":
        edit["code"] = PreferenceRegime.objects.exclude(pk=regime.pk).first().code
    response = client.post(reverse("customs:regime_edit", args=[regime.pk]), edit)
    assert response.status_code == 400
    regime.refresh_from_db()
    assert regime.name_en == "Astana Hub VAT" and regime.code == "astana-hub"
    assert not AuditEvent.objects.exists()


# --- Goods lists ---------------------------------------------------------------------------


def test_paste_adds_and_updates_items(client, import_desk, world):
    regime = world["regime"]
    client.force_login(import_desk)
    text = "# prefix;item;description\n8471 50;1a;GPU servers (HGX)\n\n8542.31;12;GPU chips\n"
    text += "9403 20\t7\tRacks, from a spreadsheet\n"
    response = client.post(reverse("customs:regime_goods", args=[regime.pk]), {"lines": text})
    assert response.status_code == 302
    items = {i.hs_prefix: (i.item_number, i.description) for i in regime.goods.all()}
    assert items["847150"] == ("1a", "GPU servers (HGX)")
    assert items["854231"] == ("12", "GPU chips")
    assert items["940320"] == ("7", "Racks, from a spreadsheet")
    assert len(items) == 11  # ten standard items and one new
    event = AuditEvent.objects.get(verb="customs.regime_goods_saved")
    assert event.data["added"] == ["854231"]
    assert sorted(event.data["updated"]) == ["847150", "940320"]
    page = client.get(response["Location"]).content.decode()
    assert "1 added, 2 changed, 0 removed" in page
    assert "contested heading" in page  # 8542 31 and 8473 30 are marked


def test_paste_can_replace_the_whole_list(client, import_desk, world):
    regime = world["regime"]
    client.force_login(import_desk)
    client.post(
        reverse("customs:regime_goods", args=[regime.pk]),
        {"lines": "8471 50;1;Servers\n8473 30;2;GPU boards", "replace": "on"},
    )
    assert sorted(regime.goods.values_list("hs_prefix", flat=True)) == ["847150", "847330"]
    event = AuditEvent.objects.get(verb="customs.regime_goods_saved")
    assert len(event.data["removed"]) == 8


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "8471 50;1;Servers\n8473 30;2;GPU boards\n84x1;3;Bad\n8517 62;4;Switches",
            ["Line 3: the HS code prefix “84x1” must have 2 to 10 digits."],
        ),
        ("8471 50;1;Servers\n8;2;Too short", ["Line 2: the HS code prefix “8”"]),
        ("8471 50;1;Servers\n84715000000;2;Too long", ["Line 2:"]),
        ("8471 50 Servers", ["Line 1: give three parts separated by semicolons"]),
        ("8471 50;;Servers", ["Line 1: the list item no. is missing."]),
        ("8471 50;1;", ["Line 1: the description is missing."]),
        ("8471 50;1;" + "x" * 256, ["Line 1: the description is at most 255 characters long."]),
        ("8471 50;123456789012345678901;Servers", ["Line 1: the list item no. is at most 20"]),
        (
            "8471 50;1;Servers\n\n8471.50;2;Servers again",
            ["Line 3: the prefix 8471 50 is already on line 1."],
        ),
        (
            "a;1;x\nb;;\n8471 50;1;ok",
            ["Line 1:", "Line 2: the HS code prefix “b” must have 2 to 10 digits; the list item"],
        ),
        ("   \n# only a comment\n", ["Paste at least one line"]),
        ("", ["This field is required."]),
    ],
)
def test_a_bad_pasted_line_keeps_nothing_and_is_named(client, import_desk, world, text, messages):
    regime = world["regime"]
    before = sorted(regime.goods.values_list("hs_prefix", "item_number", "description"))
    client.force_login(import_desk)
    response = client.post(reverse("customs:regime_goods", args=[regime.pk]), {"lines": text})
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    for message in messages:
        assert message in page
    after = sorted(regime.goods.values_list("hs_prefix", "item_number", "description"))
    assert after == before
    assert not AuditEvent.objects.exists()
    assert "Save the goods list" in page  # the page, with the text kept for correction
    if text.strip():
        assert text.strip().splitlines()[0] in page


def test_many_bad_lines_are_summarised(client, import_desk, world):
    client.force_login(import_desk)
    text = "\n".join(f"bad{n};1;x" for n in range(40))
    page = client.post(
        reverse("customs:regime_goods", args=[world["regime"].pk]), {"lines": text}
    ).content.decode()
    assert "Line 25:" in page and "Line 26:" not in page
    assert "15 more lines with errors" in page
    assert "Nothing was saved" in page


def test_delete_a_goods_item(client, import_desk, world):
    regime, item = world["regime"], world["item"]
    client.force_login(import_desk)
    response = client.post(
        reverse("customs:regime_goods_delete", args=[regime.pk, item.pk]), follow=True
    )
    assert "is removed from the goods list" in response.content.decode()
    assert not RegimeGoodsItem.objects.filter(pk=item.pk).exists()
    event = AuditEvent.objects.get(verb="customs.regime_goods_deleted")
    assert event.data["hs_prefix"] == "847150"


def test_an_item_of_another_regime_is_not_deleted(client, import_desk, world):
    client.force_login(import_desk)
    other = world["other_item"]
    response = client.post(
        reverse("customs:regime_goods_delete", args=[world["regime"].pk, other.pk]), follow=True
    )
    assert "no longer exists" in response.content.decode()
    assert RegimeGoodsItem.objects.filter(pk=other.pk).exists()
    assert not AuditEvent.objects.exists()


# --- Tax rates -----------------------------------------------------------------------------


def test_create_a_duty_rate(client, import_desk, db):
    client.force_login(import_desk)
    response = client.post(reverse("customs:tax_rate_list"), rate_data())
    assert response.status_code == 302
    rate = ImportTaxRate.objects.get(hs_prefix="850440")
    assert rate.rate == Decimal("0.0750") and rate.kind == "duty"
    assert AuditEvent.objects.get(verb="customs.tax_rate_created").data["rate"] == "0.0750"
    page = client.get(reverse("customs:tax_rate_list")).content.decode()
    assert "8504 40" in page and "7.50 %" in page


def test_a_new_rate_closes_the_open_ended_one(client, import_desk, db):
    old = ImportTaxRateFactory(kind="vat", rate=Decimal("0.12"), valid_from=date(2009, 1, 1))
    client.force_login(import_desk)
    data = rate_data(kind="vat", hs_prefix="", rate_percent="16", valid_from="2026-01-01")
    assert client.post(reverse("customs:tax_rate_list"), data).status_code == 302
    old.refresh_from_db()
    assert old.valid_to == date(2026, 1, 1)
    assert verbs() == ["customs.tax_rate_closed", "customs.tax_rate_created"]


def test_edit_and_delete_a_rate(client, import_desk, world):
    rate = world["rate"]
    client.force_login(import_desk)
    page = client.get(reverse("customs:tax_rate_edit", args=[rate.pk])).content.decode()
    assert 'value="5.00"' in page
    response = client.post(
        reverse("customs:tax_rate_edit", args=[rate.pk]),
        rate_data(hs_prefix="8544", rate_percent="4.25", note="Changed"),
    )
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.0425") and rate.note == "Changed"
    changed = AuditEvent.objects.get(verb="customs.tax_rate_changed")
    assert changed.data["before"]["rate"] == "0.0500"
    client.post(reverse("customs:tax_rate_delete", args=[rate.pk]))
    assert not ImportTaxRate.objects.filter(pk=rate.pk).exists()
    assert AuditEvent.objects.filter(verb="customs.tax_rate_deleted").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "excise"}, "Select a valid choice"),
        ({"hs_prefix": "84x1"}, "An HS code prefix has 2 to 10 digits"),
        ({"hs_prefix": "8"}, "An HS code prefix has 2 to 10 digits"),
        ({"kind": "vat", "hs_prefix": "8471"}, "leave the HS code prefix empty"),
        ({"rate_percent": "100"}, "less than or equal to 99.99"),
        ({"rate_percent": "-1"}, "greater than or equal to 0"),
        ({"rate_percent": "abc"}, "Enter a number."),
        ({"rate_percent": "1.234"}, "no more than 2 decimal places"),
        ({"valid_from": ""}, "This field is required."),
        ({"valid_to": "2025-01-01"}, "The end must be after the start."),
        ({"hs_prefix": "8544", "valid_from": "2019-01-01"}, "This period overlaps the rate"),
        ({"note": "n" * 256}, "at most 255 characters"),
    ],
)
def test_bad_rate_input_is_explained_and_nothing_is_saved(
    client, import_desk, world, overrides, message
):
    # world["rate"]: duty 8544 from 2020-01-01, open-ended. A new one from 2019 overlaps it.
    client.force_login(import_desk)
    count = ImportTaxRate.objects.count()
    response = client.post(reverse("customs:tax_rate_list"), rate_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert ImportTaxRate.objects.count() == count
    assert not AuditEvent.objects.exists()


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
