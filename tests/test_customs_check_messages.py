"""What the problems of an import case's checks say, and what to do: the line and the
format of an HS code, contested headings, the regime's goods list and validity dates,
excluded origins and the exemptions lost, parties and BINs, serial numbers (counted,
duplicated, in another active case), missing documents, and the order of the problems."""

from datetime import date
from decimal import Decimal

import pytest

from allocations.customs.checks import ERROR, check_case, exemptions_for
from allocations.customs.models import AttachmentKind, CaseState, PartyRole, SerialNumber
from tests.factories import OrganisationFactory
from tests.factories_customs import (
    TODAY,
    CaseAttachmentFactory,
    CasePartyFactory,
    PreferenceRegimeFactory,
    codes,
    make_case,
    only,
)
from tests.factories_customs import line_at as _line
from tests.factories_customs import set_case as _set_case
from tests.factories_customs import set_line as _set_line
from tests.factories_customs import set_regime as _set_regime
from tests.factories_customs import update_party as _update_party

# --- Messages say what and what to do ------------------------------------------------------


def test_hs_code_messages_name_the_line_and_the_format(db):
    case = make_case(lines=2)
    _set_line(case, 2, hs_code="84715")
    (problem,) = check_case(case=case, today=TODAY)
    assert problem.code == "hs_code_format"
    assert problem.field == "hs_code"
    assert "Line 2" in problem.message and "8471 50 000 0" in problem.message


def test_contested_heading_names_the_disputed_headings_and_the_list_item(db):
    case = make_case()
    _set_line(case, hs_code="8473301000")
    (problem,) = check_case(case=case, today=TODAY)
    for heading in ("8473 30", "8471 80", "8542 31"):
        assert heading in problem.message
    assert "reclassify" in problem.message
    assert "list item 2" in problem.message  # STANDARD_GOODS: 847330 is item 2


def test_a_contested_heading_off_the_list_is_also_an_error(db):
    case = make_case()
    _set_line(case, hs_code="8542310000")
    assert codes(check_case(case=case, today=TODAY)) == {
        "hs_code_contested",
        "hs_code_not_in_list",
    }


def test_not_on_the_list_names_the_regime(db):
    case = make_case()
    _set_line(case, hs_code="0101210000")
    (problem,) = check_case(case=case, today=TODAY)
    assert case.regime.name_en in problem.message
    assert "0101 21 000 0" in problem.message


def test_regime_validity_is_checked_on_the_planned_date_else_today(db):
    case = make_case(planned_import_date=None)
    _set_regime(case, valid_to=date(2026, 5, 1))
    problems = check_case(case=case, today=TODAY)
    assert {"planned_date_missing", "regime_not_valid"} <= codes(problems)
    # The last valid day passes; the valid_to day (exclusive) does not.
    _set_case(case, planned_import_date=date(2026, 4, 30))
    assert "regime_not_valid" not in codes(check_case(case=case, today=date(2026, 4, 1)))
    _set_case(case, planned_import_date=date(2026, 5, 1))
    assert "regime_not_valid" in codes(check_case(case=case, today=date(2026, 4, 1)))


def test_origin_exclusion_names_what_is_lost(db):
    regime = PreferenceRegimeFactory(excluded_origins=["AM", "BY", "KG", "RU"])
    regime.exclusion_removes = "vat"
    regime.save()
    case = make_case(regime=regime, lines=2)
    _set_line(case, 2, origin_country="BY")
    (problem,) = check_case(case=case, today=TODAY)
    assert problem.code == "origin_excluded" and problem.line == 2
    assert "VAT" in problem.message and "Belarus" in problem.message


def test_an_exclusion_of_an_exemption_the_regime_does_not_give_is_silent(db):
    regime = PreferenceRegimeFactory(
        exempts_vat=False, excluded_origins=["RU"], exclusion_removes="vat"
    )
    case = make_case(regime=regime)
    _set_line(case, origin_country="RU")
    assert check_case(case=case, today=TODAY) == []


@pytest.mark.parametrize(
    ("duty", "vat", "removes", "expected"),
    [
        (True, True, "vat", (True, False)),
        (True, True, "duty", (False, True)),
        (True, True, "both", (False, False)),
        (False, True, "vat", (False, False)),
        (True, False, "vat", (True, False)),
    ],
)
def test_exemptions_for_an_excluded_origin(db, duty, vat, removes, expected):
    regime = PreferenceRegimeFactory.build(
        exempts_duty=duty, exempts_vat=vat, excluded_origins=["ru"], exclusion_removes=removes
    )
    assert exemptions_for(regime, "RU") == expected
    assert exemptions_for(regime, "US") == (duty, vat)


def test_a_foreign_organisation_is_matched_by_name(db):
    organisation = OrganisationFactory(foreign=True, legal_name="Example GmbH")
    case = make_case(organisation=organisation, with_parties=False)
    CasePartyFactory(case=case, country="DE", bin="", name="example  gmbh")
    CasePartyFactory(case=case, supplier=True)
    assert check_case(case=case, today=TODAY) == []
    _update_party(case, PartyRole.IMPORTER, name="Other GmbH")
    assert codes(check_case(case=case, today=TODAY)) == {"importer_not_organisation"}


def test_party_bin_messages(db):
    case = make_case()
    _update_party(case, PartyRole.IMPORTER, bin="123")
    problems = check_case(case=case, today=TODAY)
    assert {"party_bin_invalid", "importer_not_organisation"} <= codes(problems)
    assert "check-digit" in only(problems, "party_bin_invalid")[0].message


def test_serial_count_message_gives_both_counts(db):
    case = make_case(serials_per_line=3)
    SerialNumber.objects.filter(line=_line(case), serial__endswith="-1-3").delete()
    (problem,) = check_case(case=case, today=TODAY)
    assert problem.code == "serial_count"
    assert "3 pieces need 3 serial numbers; 2 are given" in problem.message


def test_units_not_counted_in_pieces_need_no_serials(db):
    case = make_case(serials_per_line=0, line_kwargs={"unit": "m", "quantity": Decimal("120.5")})
    assert check_case(case=case, today=TODAY) == []


def test_duplicate_serials_within_the_case(db):
    case = make_case(lines=2, serials_per_line=1)
    # The database keeps active serials unique; a draft may hold inactive duplicates.
    SerialNumber.objects.create(line=_line(case, 2), serial=f"{case.reference}-1-1", active=False)
    SerialNumber.objects.filter(line=_line(case, 2), serial__endswith="-2-1").delete()
    problems = check_case(case=case, today=TODAY)
    (problem,) = only(problems, "serial_duplicate")
    assert problem.line == 1 and "lines 1, 2" in problem.message
    assert f"{case.reference}-1-1" in problem.message


def test_serials_compare_normalised_within_the_case(db):
    case = make_case(lines=1, serials_per_line=2)
    SerialNumber.objects.filter(line=_line(case), serial__endswith="-1-2").update(
        serial=f" {case.reference.lower()}-1-1 ", active=False
    )
    assert "serial_duplicate" in codes(check_case(case=case, today=TODAY))


@pytest.mark.parametrize(
    ("other_state", "other_active", "clash"),
    [
        (CaseState.DRAFT, True, True),
        (CaseState.APPROVED, True, True),
        (CaseState.MONITORING, True, True),
        (CaseState.REJECTED, True, False),
        (CaseState.CLOSED, True, False),
        (CaseState.DRAFT, False, False),
    ],
)
def test_serials_in_another_active_case(db, other_state, other_active, clash):
    other = make_case(serial_prefix="SHARED", reference="IMP-2026-09001")
    other_fields = {"state": other_state}
    if other_state in (CaseState.APPROVED, CaseState.MONITORING):
        other_fields["registry_number"] = "KZ-IMP-0001"
        other_fields["declaration_number"] = "DT-1"
        other_fields["declaration_date"] = date(2026, 6, 2)
    type(other).objects.filter(pk=other.pk).update(**other_fields)
    SerialNumber.objects.filter(line__case=other).update(active=other_active)
    case = make_case(serial_prefix="MINE")
    # This draft's serial stays inactive until submission, so the database lets both exist.
    SerialNumber.objects.filter(line__case=case).update(serial="SHARED-1-1", active=False)
    problems = check_case(case=case, today=TODAY)
    if clash:
        (problem,) = problems
        assert problem.code == "serial_in_other_case" and problem.severity == ERROR
        assert problem.line == 1
        assert "IMP-2026-09001" in problem.message and "SHARED-1-1" in problem.message
    else:
        assert problems == []


def test_missing_documents_one_error_per_kind(db):
    regime = PreferenceRegimeFactory(
        required_documents=["contract", "packing_list", "preference_document"]
    )
    case = make_case(regime=regime, with_documents=False)
    CaseAttachmentFactory(case=case, kind=AttachmentKind.CONTRACT)
    problems = only(check_case(case=case, today=TODAY), "document_missing")
    assert len(problems) == 2
    text = " ".join(p.message for p in problems)
    assert "packing list" in text and "document granting the preference" in text


def test_export_licence_required_by_the_regime_is_reported_once(db):
    regime = PreferenceRegimeFactory(required_documents=["contract", "export_licence"])
    case = make_case(regime=regime, with_documents=False)
    CaseAttachmentFactory(case=case, kind=AttachmentKind.CONTRACT)
    _set_line(case, is_datacentre_gpu=True, export_licence_number="L-1")
    CaseAttachmentFactory(case=case, kind=AttachmentKind.END_USER_STATEMENT)
    assert [p.code for p in check_case(case=case, today=TODAY)] == ["licence_document_missing"]


def test_problems_come_case_wide_first_then_by_line(db):
    case = make_case(lines=3, planned_import_date=None)
    _set_line(case, 3, hs_code="1")
    _set_line(case, 1, currency="EUR")
    problems = check_case(case=case, today=TODAY)
    assert [p.line for p in problems] == [None, 1, 3]
