"""Regimes that exclude shipments by the country they are dispatched from (the Astana Hub
VAT exemption: not for goods shipped from EAEU states, whatever their origin), next to
regimes that exclude by each line's origin: the checks, the relief estimate, the case
form, the regime form and the reference data."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from allocations.customs import case_services as services
from allocations.customs.checks import check_case
from allocations.customs.estimates import estimate_relief
from allocations.customs.models import ImportTaxRate, PreferenceRegime
from allocations.customs.reference_data import load_reference_data
from tests.factories_customs import (
    TODAY,
    ImportTaxRateFactory,
    codes,
    make_case,
    set_case,
    set_line,
    set_regime,
)
from tests.factories_customs_cases import (  # noqa: F401  (fixtures)
    case_draft,
    case_organisation,
    case_owner,
    case_regime,
)
from tests.test_customs_regimes import regime_data

pytestmark = pytest.mark.django_db

EXCLUDED = {"dispatch_missing", "dispatch_excluded", "dispatch_excluded_no_relief",
            "origin_excluded", "origin_excluded_no_relief"}  # fmt: skip


def excluded_codes(case) -> set[str]:
    case.refresh_from_db()
    case.regime.refresh_from_db()
    return codes(check_case(case=case, today=TODAY)) & EXCLUDED


def test_by_dispatch_the_origin_of_a_line_does_not_matter():
    case = make_case(lines=2, serials_per_line=1)
    set_regime(case, exclusion_basis="dispatch", excluded_origins=["RU"], exclusion_removes="vat")
    set_line(case, origin_country="RU")  # made in Russia, shipped from Germany: keeps relief
    set_case(case, dispatch_country="DE")
    assert excluded_codes(case) == set()
    set_case(case, dispatch_country="RU")  # shipped from Russia: loses it, once for the case
    problems = [p for p in check_case(case=case, today=TODAY) if p.code in EXCLUDED]
    assert [(p.code, p.line, p.field) for p in problems] == [
        ("dispatch_excluded", None, "dispatch_country")
    ]
    assert "Russia" in problems[0].message


def test_by_origin_the_country_of_dispatch_does_not_matter():
    case = make_case(lines=1, serials_per_line=1)
    set_regime(case, exclusion_basis="origin", excluded_origins=["RU"], exclusion_removes="vat")
    set_case(case, dispatch_country="RU")
    assert excluded_codes(case) == set()  # no country of dispatch asked for either
    set_line(case, origin_country="RU")
    assert excluded_codes(case) == {"origin_excluded"}


def test_a_dispatch_exclusion_removing_an_exemption_the_regime_lacks_is_silent():
    case = make_case(lines=1, serials_per_line=1)
    set_regime(case, exempts_vat=False, exclusion_basis="dispatch", excluded_origins=["RU"],
               exclusion_removes="vat")  # fmt: skip
    set_case(case, dispatch_country="RU")
    assert excluded_codes(case) == set()


@pytest.fixture
def rates(db):
    ImportTaxRateFactory(kind=ImportTaxRate.Kind.VAT, rate=D("0.16"), valid_from=date(2026, 1, 1))
    ImportTaxRateFactory(hs_prefix="", rate=D("0.10"))


def test_relief_estimate_follows_the_country_of_dispatch(rates):
    case = make_case(lines=2, serials_per_line=1)
    # VAT only, as the Astana Hub exemption.
    set_regime(case, exempts_duty=False, exclusion_basis="dispatch", excluded_origins=["BY"],
               exclusion_removes="vat")  # fmt: skip
    set_line(case, position=1, origin_country="BY")
    set_case(case, dispatch_country="CN")
    relieved = estimate_relief(case=case, on=date(2026, 6, 1))
    assert relieved.vat_relieved == relieved.vat > 0  # origin BY does not matter
    assert not any(line.excluded_country for line in relieved.per_line)
    set_case(case, dispatch_country="BY")
    lost = estimate_relief(case=case, on=date(2026, 6, 1))
    assert lost.vat_relieved == lost.duty_relieved == 0
    assert all(line.excluded_country for line in lost.per_line)


def test_case_form_saves_the_country_of_dispatch(client, owner, draft, regime):
    client.force_login(owner)
    url = reverse("customs:case_edit", args=[draft.pk])
    data = {"title": "T", "regime": regime.pk, "currency": "USD", "dispatch_country": "ZZ"}
    page = client.post(url, data).content.decode()
    assert "Select a valid choice" in page  # unknown country: the form says so, saves nothing
    draft.refresh_from_db()
    assert draft.dispatch_country == ""
    data["dispatch_country"] = "CN"
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.dispatch_country == "CN"
    page = client.get(reverse("customs:case_detail", args=[draft.pk])).content.decode()
    assert "Country of dispatch" in page and "China" in page


def test_service_refuses_an_unknown_country_of_dispatch(owner, draft):
    with pytest.raises(ValidationError) as refused:
        services.update_case(actor=owner, case_id=draft.pk, values={"dispatch_country": "XX"})
    assert set(refused.value.message_dict) == {"dispatch_country"}
    services.update_case(actor=owner, case_id=draft.pk, values={"dispatch_country": "de"})
    draft.refresh_from_db()
    assert draft.dispatch_country == "DE"


def test_regime_form_sets_the_basis(client, import_desk):
    client.force_login(import_desk)
    data = regime_data(code="hub-like", exclusion_basis="dispatch")
    assert client.post(reverse("customs:regime_create"), data).status_code == 302
    regime = PreferenceRegime.objects.get(code="hub-like")
    assert regime.exclusion_basis == "dispatch"
    page = client.get(reverse("customs:regime_list")).content.decode()
    assert "by dispatch" in page
    bad = regime_data(code="other", exclusion_basis="moon")
    page = client.post(reverse("customs:regime_create"), bad).content.decode()
    assert "Select a valid choice" in page
    assert not PreferenceRegime.objects.filter(code="other").exists()


def test_astana_hub_reference_regime_excludes_by_dispatch():
    load_reference_data()
    bases = dict(PreferenceRegime.objects.values_list("code", "exclusion_basis"))
    assert bases["astana-hub-vat"] == "dispatch"
    assert bases["investment-contract"] == bases["sez-special-investment-contract"] == "origin"
