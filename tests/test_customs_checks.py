"""The checks of an import case (allocations.customs.checks), one at a time: a complete
case has no problem; breaking one thing of it reports that check's code, severity and line;
every code has a documented severity.

What the messages say: test_customs_check_messages; the HS-code and serial normalisers and
the goods index: test_customs_check_normalisation; speed and queries:
test_customs_check_speed."""

from datetime import date
from decimal import Decimal

import pytest

from allocations.customs.checks import CODES, ERROR, WARNING, check_case, has_errors
from allocations.customs.models import (
    AttachmentKind,
    CaseParty,
    EquipmentLine,
    PartyRole,
    RegimeGoodsItem,
    SerialNumber,
)
from tests.factories_customs import (
    TODAY,
    CaseAttachmentFactory,
    CasePartyFactory,
    SerialNumberFactory,
    codes,
    make_case,
    only,
)
from tests.factories_customs import line_at as _line
from tests.factories_customs import set_case as _set_case
from tests.factories_customs import set_line as _set_line
from tests.factories_customs import set_regime as _set_regime
from tests.factories_customs import update_party as _update_party

# --- A complete case -----------------------------------------------------------------------


def test_a_complete_case_has_no_problem(db):
    case = make_case(lines=3, serials_per_line=2)
    problems = check_case(case=case, today=TODAY)
    assert problems == []
    assert not has_errors(problems)


# --- One check at a time: break one thing of a complete case --------------------------------


def _add_goods(case, prefix):
    RegimeGoodsItem.objects.create(
        regime=case.regime, hs_prefix=prefix, item_number="99", description="GPU modules"
    )


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
    # A regime comparing its excluded countries with the country of dispatch
    "dispatch_missing": (
        lambda c: _set_regime(
            c, exclusion_basis="dispatch", excluded_origins=["RU"], exclusion_removes="vat"
        ),
        "dispatch_missing",
        ERROR,
        None,
    ),
    "dispatch_loses_vat": (
        lambda c: (
            _set_regime(
                c,
                exclusion_basis="dispatch",
                excluded_origins=["RU", "BY"],
                exclusion_removes="vat",
            ),
            _set_case(c, dispatch_country="RU"),
        ),  # fmt: skip
        "dispatch_excluded",
        WARNING,
        None,
    ),
    "dispatch_loses_everything": (
        lambda c: (
            _set_regime(
                c, exclusion_basis="dispatch", excluded_origins=["BY"], exclusion_removes="both"
            ),
            _set_case(c, dispatch_country="BY"),
        ),  # fmt: skip
        "dispatch_excluded_no_relief",
        ERROR,
        None,
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


def test_every_reported_code_is_documented():
    assert set(CODES.values()) == {ERROR, WARNING}
