"""The checks of an import case (allocations.customs.checks): each check with good and bad
input, the problem's code, severity, line and message; speed and a constant query count."""

import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocations.customs.checks import (
    CODES,
    ERROR,
    WARNING,
    GoodsIndex,
    Problem,
    check_case,
    exemptions_for,
    format_hs_code,
    has_errors,
    normalise_hs_code,
    normalise_serial,
)
from allocations.customs.models import (
    AttachmentKind,
    CaseParty,
    CaseState,
    EquipmentLine,
    PartyRole,
    RegimeGoodsItem,
    SerialNumber,
)
from tests.factories import OrganisationFactory
from tests.factories_customs import (
    TODAY,
    CaseAttachmentFactory,
    CasePartyFactory,
    PreferenceRegimeFactory,
    SerialNumberFactory,
    make_case,
)


def codes(problems) -> set[str]:
    return {problem.code for problem in problems}


def only(problems, code) -> list[Problem]:
    return [problem for problem in problems if problem.code == code]


# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8471 50 000 0", "8471500000"),
        ("8471.50.000.0", "8471500000"),
        (" 8471500000 ", "8471500000"),
        ("8471\u00a050\u00a0000\u00a00", "8471500000"),
        ("8471-50", "847150"),
        ("", ""),
        ("84x1", "84x1"),
    ],
)
def test_normalise_hs_code(raw, expected):
    assert normalise_hs_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  abc123 ", "ABC123"),
        ("sn  12\t 34", "SN 12 34"),
        ("x\ny", "X Y"),
        ("", ""),
    ],
)
def test_normalise_serial(raw, expected):
    assert normalise_serial(raw) == expected


def test_format_hs_code():
    assert format_hs_code("8471500000") == "8471 50 000 0"
    assert format_hs_code("847330") == "8473 30"
    assert format_hs_code("8544") == "8544"


def test_the_longest_prefix_of_the_goods_list_wins():
    index = GoodsIndex(
        [
            RegimeGoodsItem(hs_prefix="84", item_number="A"),
            RegimeGoodsItem(hs_prefix="8471", item_number="B"),
            RegimeGoodsItem(hs_prefix="847150", item_number="C"),
        ]
    )
    assert index.match("8471500000").item_number == "C"
    assert index.match("8471700000").item_number == "B"
    assert index.match("8415100000").item_number == "A"
    assert index.match("9403200000") is None
    assert not GoodsIndex([])


def test_every_reported_code_is_documented():
    assert set(CODES.values()) == {ERROR, WARNING}


# --- A complete case -----------------------------------------------------------------------


def test_a_complete_case_has_no_problem(db):
    case = make_case(lines=3, serials_per_line=2)
    problems = check_case(case=case, today=TODAY)
    assert problems == []
    assert not has_errors(problems)


# --- One check at a time: break one thing of a complete case --------------------------------


def _line(case, position=1):
    return EquipmentLine.objects.get(case=case, position=position)


def _set_line(case, position=1, **fields):
    EquipmentLine.objects.filter(case=case, position=position).update(**fields)


def _set_case(case, **fields):
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()


def _set_regime(case, **fields):
    for name, value in fields.items():
        setattr(case.regime, name, value)
    case.regime.save()


def _add_goods(case, prefix):
    RegimeGoodsItem.objects.create(
        regime=case.regime, hs_prefix=prefix, item_number="99", description="GPU modules"
    )


def _update_party(case, role, **fields):
    CaseParty.objects.filter(case=case, role=role).update(**fields)


BREAKERS = {
    # HS codes
    "hs_short": (lambda c: _set_line(c, hs_code="84715000"), "hs_code_format", ERROR, 1),
    "hs_letters": (lambda c: _set_line(c, hs_code="8471A00000"), "hs_code_format", ERROR, 1),
    "hs_not_listed": (
        lambda c: _set_line(c, hs_code="0101210000"),
        "hs_code_not_in_list",
        ERROR,
        1,
    ),
    "hs_contested_8473": (
        lambda c: _set_line(c, hs_code="8473301000"),
        "hs_code_contested",
        WARNING,
        1,
    ),
    "hs_contested_8542": (
        lambda c: (_add_goods(c, "854231"), _set_line(c, hs_code="8542310000")),
        "hs_code_contested",
        WARNING,
        1,
    ),
    "hs_contested_8471_80": (
        lambda c: (_add_goods(c, "847180"), _set_line(c, hs_code="8471800000")),
        "hs_code_contested",
        WARNING,
        1,
    ),
    "no_goods_list": (
        lambda c: RegimeGoodsItem.objects.filter(regime=c.regime).delete(),
        "regime_no_goods_list",
        ERROR,
        None,
    ),
    # The regime and the date
    "regime_inactive": (lambda c: _set_regime(c, is_active=False), "regime_inactive", ERROR, None),
    "regime_expired": (
        lambda c: _set_regime(c, valid_to=date(2026, 6, 1)),
        "regime_not_valid",
        ERROR,
        None,
    ),
    "regime_not_started": (
        lambda c: _set_regime(c, valid_from=date(2026, 7, 1)),
        "regime_not_valid",
        ERROR,
        None,
    ),
    "planned_date_missing": (
        lambda c: _set_case(c, planned_import_date=None),
        "planned_date_missing",
        ERROR,
        None,
    ),
    "planned_date_past": (
        lambda c: _set_case(c, planned_import_date=date(2026, 5, 1)),
        "planned_date_past",
        WARNING,
        None,
    ),
    # Origins
    "origin_missing": (lambda c: _set_line(c, origin_country=""), "origin_missing", ERROR, 1),
    "origin_unknown": (lambda c: _set_line(c, origin_country="XX"), "origin_missing", ERROR, 1),
    "origin_loses_vat": (
        lambda c: (
            _set_regime(c, excluded_origins=["RU", "BY"], exclusion_removes="vat"),
            _set_line(c, origin_country="RU"),
        ),
        "origin_excluded",
        WARNING,
        1,
    ),
    "origin_loses_everything": (
        lambda c: (
            _set_regime(c, excluded_origins=["RU"], exclusion_removes="both"),
            _set_line(c, origin_country="RU"),
        ),
        "origin_excluded_no_relief",
        ERROR,
        1,
    ),
    "vat_only_regime_loses_vat": (
        lambda c: (
            _set_regime(c, exempts_duty=False, excluded_origins=["KG"], exclusion_removes="vat"),
            _set_line(c, origin_country="KG"),
        ),
        "origin_excluded_no_relief",
        ERROR,
        1,
    ),
    # Parties
    "importer_missing": (
        lambda c: CaseParty.objects.filter(case=c, role=PartyRole.IMPORTER).delete(),
        "importer_missing",
        ERROR,
        None,
    ),
    "importer_twice": (
        lambda c: CasePartyFactory(case=c),
        "importer_multiple",
        ERROR,
        None,
    ),
    "importer_other_bin": (
        lambda c: _update_party(c, PartyRole.IMPORTER, bin="940140000385"),
        "importer_not_organisation",
        ERROR,
        None,
    ),
    "importer_other_name": (
        lambda c: _update_party(c, PartyRole.IMPORTER, name="Somebody Else LLP"),
        "importer_name_differs",
        WARNING,
        None,
    ),
    "supplier_missing": (
        lambda c: CaseParty.objects.filter(case=c, role=PartyRole.SUPPLIER).delete(),
        "supplier_missing",
        ERROR,
        None,
    ),
    "kazakh_party_without_bin": (
        lambda c: CaseParty.objects.create(
            case=c, role=PartyRole.CONSIGNEE, name="Consignee LLP", country="KZ"
        ),
        "party_bin_missing",
        ERROR,
        None,
    ),
    "kazakh_party_bad_bin": (
        lambda c: CaseParty.objects.create(
            case=c, role=PartyRole.CONSIGNEE, name="Consignee", country="KZ", bin="940140000386"
        ),
        "party_bin_invalid",
        ERROR,
        None,
    ),
    "foreign_party_with_bin": (
        lambda c: _update_party(c, PartyRole.SUPPLIER, bin="940140000385"),
        "party_foreign_bin",
        ERROR,
        None,
    ),
    "party_without_country": (
        lambda c: _update_party(c, PartyRole.SUPPLIER, country=""),
        "party_country",
        ERROR,
        None,
    ),
    # Serial numbers and quantities
    "serial_missing": (
        lambda c: SerialNumber.objects.filter(line=_line(c), serial__endswith="-1-2").delete(),
        "serial_count",
        ERROR,
        1,
    ),
    "serial_extra": (
        lambda c: SerialNumberFactory(line=_line(c, 2), serial="EXTRA-1"),
        "serial_count",
        ERROR,
        2,
    ),
    "quantity_not_whole": (
        lambda c: _set_line(c, quantity=Decimal("1.5")),
        "quantity_not_whole",
        ERROR,
        1,
    ),
    # Money
    "currency_mismatch": (
        lambda c: _set_line(c, 2, currency="EUR"),
        "currency_mismatch",
        WARNING,
        2,
    ),
    "line_total_too_large": (
        lambda c: _set_line(c, unit_price=Decimal("9000000000000000")),
        "line_total_too_large",
        ERROR,
        1,
    ),
    "price_zero": (lambda c: _set_line(c, unit_price=0), "unit_price_zero", WARNING, 1),
    "total_zero": (
        lambda c: EquipmentLine.objects.filter(case=c).update(unit_price=0),
        "total_zero",
        ERROR,
        None,
    ),
    "no_lines": (
        lambda c: EquipmentLine.objects.filter(case=c).delete(),
        "no_lines",
        ERROR,
        None,
    ),
    # Licences and documents
    "gpu_without_licence_number": (
        lambda c: (
            _set_line(c, is_datacentre_gpu=True),
            CaseAttachmentFactory(case=c, kind=AttachmentKind.EXPORT_LICENCE),
            CaseAttachmentFactory(case=c, kind=AttachmentKind.END_USER_STATEMENT),
        ),
        "licence_number_missing",
        ERROR,
        1,
    ),
    "gpu_without_licence_document": (
        lambda c: (
            _set_line(c, is_datacentre_gpu=True, export_licence_number="BIS-2026-0042"),
            CaseAttachmentFactory(case=c, kind=AttachmentKind.END_USER_STATEMENT),
        ),
        "licence_document_missing",
        ERROR,
        None,
    ),
    "gpu_without_end_user_statement": (
        lambda c: (
            _set_line(c, is_datacentre_gpu=True, export_licence_number="BIS-2026-0042"),
            CaseAttachmentFactory(case=c, kind=AttachmentKind.EXPORT_LICENCE),
        ),
        "end_user_statement_missing",
        WARNING,
        None,
    ),
    "document_missing": (
        lambda c: c.attachments.filter(kind=AttachmentKind.COMMERCIAL_INVOICE).delete(),
        "document_missing",
        ERROR,
        None,
    ),
}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_each_check_reports_its_problem(db, name):
    breaker, code, severity, line = BREAKERS[name]
    case = make_case(lines=2, serials_per_line=2)
    assert check_case(case=case, today=TODAY) == []  # good input: nothing
    breaker(case)
    case.refresh_from_db()
    case.regime.refresh_from_db()
    problems = check_case(case=case, today=TODAY)
    found = only(problems, code)
    assert found, f"{name}: expected {code}, got {codes(problems)}"
    assert {p.severity for p in found} == {severity}
    assert found[0].line == line
    assert all(p.message and isinstance(p.message, str) for p in problems)
    assert all(p.severity == CODES[p.code] for p in problems)
    # Only warnings were expected: the case can still be submitted.
    if severity == WARNING:
        assert not has_errors(problems), [p.message for p in problems]


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


# --- Speed and queries ---------------------------------------------------------------------


def _queries(case) -> int:
    with CaptureQueriesContext(connection) as captured:
        check_case(case=case, today=TODAY)
    return len(captured)


def test_query_count_does_not_grow_with_lines_serials_or_problems(db):
    small = make_case(lines=1, serials_per_line=1)
    large = make_case(lines=60, serials_per_line=4)
    _set_line(large, 5, hs_code="0101210000", currency="EUR")
    SerialNumber.objects.filter(line__case=large, serial__endswith="-7-1").delete()
    small = type(small).objects.get(pk=small.pk)
    large = type(large).objects.get(pk=large.pk)
    assert _queries(small) == _queries(large) <= 8


def test_five_thousand_lines_and_forty_thousand_serials_check_in_seconds(db):
    case = make_case(lines=5000, serials_per_line=8)
    other = make_case(lines=500, serials_per_line=8)  # another active case's serials
    assert SerialNumber.objects.filter(line__case=case).count() == 40_000
    # One clash and one bad code, so the work includes reporting.
    SerialNumber.objects.filter(line__case=case, serial=f"{case.reference}-4000-1").update(
        active=False
    )
    SerialNumber.objects.filter(line__case=other, serial=f"{other.reference}-1-1").update(
        serial=f"{case.reference}-4000-1"
    )
    _set_line(case, 2500, hs_code="0101210000")
    case = type(case).objects.select_related("regime", "organisation").get(pk=case.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        problems = check_case(case=case, today=TODAY)
    elapsed = time.perf_counter() - start
    assert codes(problems) == {"serial_in_other_case", "hs_code_not_in_list"}
    assert len(captured) <= 8
    assert elapsed < 5, f"check_case took {elapsed:.2f} s"
