"""Regime pages of the import desk and the applicants' catalogue: who may use each route
(audit events only from the desk's posts), the catalogue of regimes open for new cases, and
creating and editing a regime (bad input on the form is explained and saves nothing).

Goods lists: test_customs_goods_lists; tax rates: test_customs_tax_rates; the reference
data: test_customs_reference_data."""

from datetime import date

import pytest
from django.urls import reverse

from allocations.core.models import AuditEvent
from allocations.customs.models import PreferenceRegime, RegimeGoodsItem
from tests.conftest import ROLE_FIXTURES
from tests.factories_customs import PreferenceRegimeFactory, make_case
from tests.factories_customs_regimes import (
    rate_data,
    regimes_world,  # noqa: F401  (fixture `world`)
)

DESK = {"import_desk", "admin_user"}


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
        "exclusion_basis": "origin",
        "exclusion_removes": "vat",
        "required_documents": ["contract", "packing_list"],
        "report_every_months": "12",
        "monitoring_years": "5",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


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
