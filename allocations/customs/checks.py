"""Checks of an import case before it is submitted, and again when the desk reviews it.

`check_case` reads the case's regime, goods list, parties, lines, serial numbers and
attachments in a constant number of queries and returns every problem it finds. A problem
of severity "error" blocks submission; a "warning" does not, but the importer and the desk
should read it. Each problem has a stable `code` (see CODES) so that pages and tests can
tell them apart, and a translated message that says what to do.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Subquery
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, ngettext
from django_countries import countries

from allocations.accounts.identifiers import is_valid_bin
from allocations.customs.models import (
    INACTIVE_CASE_STATES,
    AttachmentKind,
    CaseParty,
    EquipmentLine,
    ImportCase,
    PartyRole,
    PreferenceRegime,
    RegimeGoodsItem,
    SerialNumber,
)

ERROR = "error"
WARNING = "warning"

# Every code check_case reports, with its severity.
CODES = {
    "no_lines": ERROR,
    "regime_inactive": ERROR,
    "regime_not_valid": ERROR,
    "planned_date_missing": ERROR,
    "planned_date_past": WARNING,
    "regime_no_goods_list": ERROR,
    "hs_code_format": ERROR,
    "hs_code_not_in_list": ERROR,
    "hs_code_contested": WARNING,
    "origin_missing": ERROR,
    "origin_excluded": WARNING,  # loses one exemption, keeps the other
    "origin_excluded_no_relief": ERROR,  # loses everything the regime relieves
    "importer_missing": ERROR,
    "importer_multiple": ERROR,
    "importer_not_organisation": ERROR,
    "importer_name_differs": WARNING,
    "supplier_missing": ERROR,
    "party_country": ERROR,
    "party_bin_missing": ERROR,
    "party_bin_invalid": ERROR,
    "party_foreign_bin": ERROR,
    "serial_duplicate": ERROR,
    "serial_in_other_case": ERROR,
    "serial_count": ERROR,
    "quantity_not_whole": ERROR,
    # Mixed currencies happen (a EUR accessory on a USD contract); the annex totals per
    # currency, so the desk is warned rather than the case blocked.
    "currency_mismatch": WARNING,
    "line_total_too_large": ERROR,
    "total_too_large": ERROR,
    "total_zero": ERROR,
    "unit_price_zero": WARNING,
    "licence_number_missing": ERROR,
    "licence_document_missing": ERROR,
    "end_user_statement_missing": WARNING,
    "document_missing": ERROR,
}

# GPU boards and modules: customs practice is split between these headings.
CONTESTED_HEADINGS = ("847330", "847180", "854231")
# Units counted in pieces: each piece has its own serial number.
COUNTABLE_UNITS = frozenset({"pcs", "pc", "piece", "pieces", "шт", "шт."})
CENT = Decimal("0.01")
# EquipmentLine.unit_price and totals are stored as 18 digits with 2 decimals.
MONEY_LIMIT = Decimal(10) ** 16

_TRANSLATED: dict[tuple[str | None, str], str] = {}


def _(message: str) -> str:
    """gettext, remembered per language: a large case repeats the same few messages
    thousands of times."""
    key = (get_language(), message)
    text = _TRANSLATED.get(key)
    if text is None:
        text = _TRANSLATED[key] = gettext(message)
    return text


_HS_SEPARATORS = re.compile(r"[\s.\-\u00a0]+")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    severity: str
    line: int | None = None  # EquipmentLine.position
    field: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def normalise_hs_code(raw: str) -> str:
    """'8471 50 000 0' or '8471.50.000.0' → '8471500000' (no other change: check it after)."""
    return _HS_SEPARATORS.sub("", raw or "")


def normalise_serial(raw: str) -> str:
    """Trimmed, upper-case, inner whitespace collapsed to one space."""
    return " ".join((raw or "").split()).upper()


def format_hs_code(code: str) -> str:
    """'8471500000' → '8471 50 000 0' (how the EAEU nomenclature writes it); prefixes are
    grouped the same way as far as they go ('847330' → '8473 30')."""
    parts, start = [], 0
    for size in (4, 2, 3, 1):
        if start >= len(code):
            break
        parts.append(code[start : start + size])
        start += size
    return " ".join(parts) if code.isdigit() else code


def is_valid_hs_code(code: str) -> bool:
    return len(code) == 10 and code.isascii() and code.isdigit()


def has_errors(problems) -> bool:
    return any(problem.severity == ERROR for problem in problems)


class GoodsIndex:
    """A regime's goods list, matched by the longest HS prefix (at most 9 dict look-ups)."""

    def __init__(self, items):
        self.by_prefix: dict[str, RegimeGoodsItem] = {item.hs_prefix: item for item in items}
        self.lengths = sorted({len(prefix) for prefix in self.by_prefix}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.by_prefix)

    def match(self, hs_code: str) -> RegimeGoodsItem | None:
        for length in self.lengths:
            if length <= len(hs_code):
                item = self.by_prefix.get(hs_code[:length])
                if item is not None:
                    return item
        return None


def excluded_origins(regime: PreferenceRegime) -> frozenset[str]:
    value = regime.excluded_origins
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(str(code).strip().upper() for code in value if code)


def exemptions_for(regime: PreferenceRegime, origin: str, excluded=None) -> tuple[bool, bool]:
    """(duty exempt, VAT exempt) for goods of this origin under the regime, after its origin
    exclusions. `excluded` may pass excluded_origins(regime) computed once."""
    excluded = excluded_origins(regime) if excluded is None else excluded
    duty, vat = bool(regime.exempts_duty), bool(regime.exempts_vat)
    if (origin or "").upper() in excluded:
        removes = regime.exclusion_removes
        if removes in ("duty", "both"):
            duty = False
        if removes in ("vat", "both"):
            vat = False
    return duty, vat


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def regime_valid_on(regime: PreferenceRegime, day: date) -> bool:
    return regime.valid_from <= day and (regime.valid_to is None or day < regime.valid_to)


def _known_countries() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def _relief_names(duty: bool, vat: bool) -> str:
    if duty and vat:
        return _("the customs duty and import VAT exemptions")
    if duty:
        return _("the customs duty exemption")
    return _("the import VAT exemption")


def _kind_label(kind: str) -> str:
    try:
        return str(AttachmentKind(kind).label)
    except ValueError:
        return kind


_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"'})


def _same_name(a: str, b: str) -> bool:
    """Names compared without case, extra spaces or the style of quotation marks."""
    return normalise_serial(a).translate(_QUOTES) == normalise_serial(b).translate(_QUOTES)


class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, *, line=None, field="", severity=None):
        self.problems.append(
            Problem(
                code=code,
                message=message,
                severity=severity or CODES[code],
                line=line,
                field=field,
            )
        )


# --- The checks ----------------------------------------------------------------------------


def _check_regime(out: _Collector, case: ImportCase, regime: PreferenceRegime, today: date):
    planned = case.planned_import_date
    if planned is None:
        out.add(
            "planned_date_missing",
            _("Give the planned import date: the regime must be valid on the day of import."),
            field="planned_import_date",
        )
    elif planned < today:
        out.add(
            "planned_date_past",
            _(
                "The planned import date %(date)s has passed. Give the new date if the "
                "equipment has not been imported yet."
            )
            % {"date": date_format(planned)},
            field="planned_import_date",
        )
    if not regime.is_active:
        out.add(
            "regime_inactive",
            _(
                "The regime “%(regime)s” is closed for new cases. Choose another regime or "
                "ask the import desk."
            )
            % {"regime": regime.name_en},
            field="regime",
        )
    day = planned or today
    if not regime_valid_on(regime, day):
        if regime.valid_to is None:
            period = _("from %(start)s") % {"start": date_format(regime.valid_from)}
        else:
            period = _("from %(start)s until %(end)s (exclusive)") % {
                "start": date_format(regime.valid_from),
                "end": date_format(regime.valid_to),
            }
        out.add(
            "regime_not_valid",
            _(
                "The regime “%(regime)s” is valid %(period)s, not on %(date)s. Change the "
                "planned import date or choose another regime."
            )
            % {"regime": regime.name_en, "period": period, "date": date_format(day)},
            field="planned_import_date" if planned else "regime",
        )


def _check_parties(out: _Collector, case: ImportCase, parties: list[CaseParty], known):
    organisation = case.organisation
    importers = [p for p in parties if p.role == PartyRole.IMPORTER]
    if not importers:
        out.add(
            "importer_missing",
            _("Add the importer: %(organisation)s, with its BIN.")
            % {"organisation": organisation.legal_name},
            field="parties",
        )
    elif len(importers) > 1:
        out.add(
            "importer_multiple",
            _("A case has exactly one importer; this one has %(count)s. Remove the others.")
            % {"count": len(importers)},
            field="parties",
        )
    else:
        importer = importers[0]
        if organisation.bin:
            if importer.bin.strip() != organisation.bin:
                out.add(
                    "importer_not_organisation",
                    _(
                        "The importer must be the case's organisation, %(organisation)s "
                        "(BIN %(bin)s); the importer given has BIN “%(given)s”. Correct the "
                        "importer or open the case for the right organisation."
                    )
                    % {
                        "organisation": organisation.legal_name,
                        "bin": organisation.bin,
                        "given": importer.bin or "—",
                    },
                    field="parties",
                )
            elif not _same_name(importer.name, organisation.legal_name):
                out.add(
                    "importer_name_differs",
                    _(
                        "The importer's name “%(name)s” differs from the organisation's "
                        "registered name “%(organisation)s”. Customs compares them: use the "
                        "name as registered."
                    )
                    % {"name": importer.name, "organisation": organisation.legal_name},
                    field="parties",
                )
        elif not _same_name(importer.name, organisation.legal_name):
            out.add(
                "importer_not_organisation",
                _(
                    "The importer must be the case's organisation, %(organisation)s; the "
                    "importer given is “%(name)s”."
                )
                % {"organisation": organisation.legal_name, "name": importer.name},
                field="parties",
            )
    if not any(p.role == PartyRole.SUPPLIER for p in parties):
        out.add(
            "supplier_missing",
            _("Add the supplier (the seller in the supply contract)."),
            field="parties",
        )

    for party in parties:
        who = {"role": party.get_role_display(), "name": party.name}
        country = (party.country or "").strip().upper()
        bin_value = (party.bin or "").strip()
        if country not in known:
            out.add(
                "party_country",
                _("%(role)s %(name)s: choose the country of registration.") % who,
                field="country",
            )
        elif country == "KZ":
            if not bin_value:
                out.add(
                    "party_bin_missing",
                    _("%(role)s %(name)s is registered in Kazakhstan: enter its 12-digit BIN.")
                    % who,
                    field="bin",
                )
            elif not is_valid_bin(bin_value):
                out.add(
                    "party_bin_invalid",
                    _(
                        "%(role)s %(name)s: the BIN %(bin)s fails the check-digit test. "
                        "Check it for a typing error."
                    )
                    % {**who, "bin": bin_value},
                    field="bin",
                )
        elif bin_value:
            out.add(
                "party_foreign_bin",
                _(
                    "%(role)s %(name)s is registered abroad and has no Kazakh BIN: clear the "
                    "BIN and give its own registration number instead."
                )
                % who,
                field="bin",
            )


def _check_lines(
    out: _Collector,
    *,
    case: ImportCase,
    regime: PreferenceRegime,
    lines: list,
    goods: GoodsIndex,
    serial_counts: dict[int, int],
    known,
):
    excluded = excluded_origins(regime)
    if not lines:
        out.add("no_lines", _("Add at least one equipment line."), field="lines")
        return
    if not goods:
        out.add(
            "regime_no_goods_list",
            _(
                "The regime “%(regime)s” has no goods list yet, so no line can be matched to "
                "it. Ask the import desk to complete the list."
            )
            % {"regime": regime.name_en},
            field="regime",
        )
    total = Decimal(0)
    for line in lines:
        pos = line.position
        code = normalise_hs_code(line.hs_code)
        if not is_valid_hs_code(code):
            out.add(
                "hs_code_format",
                _(
                    "Line %(line)s: the HS code “%(code)s” must have 10 digits, written like "
                    "8471 50 000 0."
                )
                % {"line": pos, "code": line.hs_code},
                line=pos,
                field="hs_code",
            )
            item = None
        else:
            item = goods.match(code)
            if item is None and goods:
                out.add(
                    "hs_code_not_in_list",
                    _(
                        "Line %(line)s: the HS code %(code)s is not on the goods list of "
                        "“%(regime)s”, so these goods would not be relieved. Check the code, "
                        "choose another regime, or remove the line."
                    )
                    % {"line": pos, "code": format_hs_code(code), "regime": regime.name_en},
                    line=pos,
                    field="hs_code",
                )
            if code.startswith(CONTESTED_HEADINGS):
                listed = (
                    _(" It matches list item %(item)s (%(prefix)s).")
                    % {"item": item.item_number, "prefix": format_hs_code(item.hs_prefix)}
                    if item is not None
                    else ""
                )
                out.add(
                    "hs_code_contested",
                    _(
                        "Line %(line)s: GPU boards and modules are classified differently in "
                        "practice: 8473 30 (parts of computers), 8471 80 (other units of "
                        "computers) or 8542 31 (processors as integrated circuits). Customs "
                        "may reclassify them at declaration; if the new heading is not on the "
                        "goods list, the exemption is lost and duty, VAT and penalties are "
                        "charged. Keep the manufacturer's technical description or a "
                        "preliminary classification decision in the file.%(listed)s"
                    )
                    % {"line": pos, "listed": listed},
                    line=pos,
                    field="hs_code",
                )

        origin = (line.origin_country or "").strip().upper()
        if origin not in known:
            out.add(
                "origin_missing",
                _("Line %(line)s: choose the country of origin.") % {"line": pos},
                line=pos,
                field="origin_country",
            )
        elif origin in excluded:
            duty, vat = exemptions_for(regime, origin, excluded)
            lost_duty = regime.exempts_duty and not duty
            lost_vat = regime.exempts_vat and not vat
            lost = _relief_names(lost_duty, lost_vat)
            country = countries.name(origin) or origin
            if not (lost_duty or lost_vat):
                pass  # the exclusion removes an exemption this regime does not give
            elif not duty and not vat:
                out.add(
                    "origin_excluded_no_relief",
                    _(
                        "Line %(line)s: goods from %(country)s are excluded from “%(regime)s” "
                        "and lose %(lost)s, so the regime relieves nothing for this line. "
                        "Import them under another regime or remove the line."
                    )
                    % {"line": pos, "country": country, "regime": regime.name_en, "lost": lost},
                    line=pos,
                    field="origin_country",
                )
            else:
                out.add(
                    "origin_excluded",
                    _(
                        "Line %(line)s: goods from %(country)s lose %(lost)s of “%(regime)s”; "
                        "that tax will be due on import."
                    )
                    % {"line": pos, "country": country, "regime": regime.name_en, "lost": lost},
                    line=pos,
                    field="origin_country",
                )

        # Serial numbers: one per piece.
        if (line.unit or "").strip().lower() in COUNTABLE_UNITS:
            quantity = line.quantity
            if quantity != quantity.to_integral_value():
                out.add(
                    "quantity_not_whole",
                    _("Line %(line)s: a quantity in pieces is a whole number, not %(qty)s.")
                    % {"line": pos, "qty": quantity.normalize()},
                    line=pos,
                    field="quantity",
                )
            else:
                have = serial_counts.get(line.pk, 0)
                if have != quantity:
                    out.add(
                        "serial_count",
                        ngettext(
                            "Line %(line)s: %(qty)s pieces need %(qty)s serial numbers; "
                            "%(have)s is given.",
                            "Line %(line)s: %(qty)s pieces need %(qty)s serial numbers; "
                            "%(have)s are given.",
                            have,
                        )
                        % {"line": pos, "qty": int(quantity), "have": have},
                        line=pos,
                        field="serials",
                    )

        # Money.
        if (line.currency or "").strip().upper() != (case.currency or "").strip().upper():
            out.add(
                "currency_mismatch",
                _(
                    "Line %(line)s is priced in %(currency)s but the contract is in "
                    "%(contract)s. Check that the commercial invoice says the same; the "
                    "annex totals each currency separately."
                )
                % {"line": pos, "currency": line.currency, "contract": case.currency},
                line=pos,
                field="currency",
            )
        amount = line_total(line.quantity, line.unit_price)
        if amount >= MONEY_LIMIT:
            out.add(
                "line_total_too_large",
                _(
                    "Line %(line)s: quantity × unit price is too large to record. Check the "
                    "quantity and the unit price."
                )
                % {"line": pos},
                line=pos,
                field="unit_price",
            )
        elif line.unit_price == 0:
            out.add(
                "unit_price_zero",
                _(
                    "Line %(line)s has no price. Customs values free goods too: give the "
                    "value stated in the invoice."
                )
                % {"line": pos},
                line=pos,
                field="unit_price",
            )
        total += amount

        if line.is_datacentre_gpu and not line.export_licence_number.strip():
            out.add(
                "licence_number_missing",
                _(
                    "Line %(line)s: data-centre GPUs (H100/H200 class) need the exporter's "
                    "licence. Enter the export licence number."
                )
                % {"line": pos},
                line=pos,
                field="export_licence_number",
            )

    if total >= MONEY_LIMIT:
        out.add(
            "total_too_large",
            _("The case total is too large to record. Split the equipment over several cases."),
            field="lines",
        )
    elif total == 0:
        out.add(
            "total_zero",
            _("The case total is zero. Give the unit prices stated in the commercial invoice."),
            field="lines",
        )


def _check_serials(out: _Collector, *, case: ImportCase, serials: list[tuple[int, str]], positions):
    """Duplicates within the case, then serials already in another active case."""
    normalised = [normalise_serial(raw) for _line_id, raw in serials]
    repeated = {serial for serial, count in Counter(normalised).items() if count > 1}
    where: dict[str, list[int]] = defaultdict(list)
    if repeated:
        for (line_id, _raw), serial in zip(serials, normalised, strict=True):
            if serial in repeated:
                where[serial].append(positions.get(line_id))
    for serial, found in where.items():
        out.add(
            "serial_duplicate",
            _(
                "The serial number %(serial)s appears %(count)s times in this case (lines "
                "%(lines)s). Each unit has its own serial number: correct the duplicates."
            )
            % {
                "serial": serial,
                "count": len(found),
                "lines": ", ".join(str(p) for p in sorted(set(found))),
            },
            line=min(found),
            field="serials",
        )
    if not serials:
        return
    # One query: this case's serials (a subquery, so no parameter limit) that stand as
    # active in a case other than this one that is still active.
    own = SerialNumber.objects.filter(line__case_id=case.pk).values("serial")
    clashes = (
        SerialNumber.objects.filter(active=True, serial__in=Subquery(own))
        .exclude(line__case_id=case.pk)
        .exclude(line__case__state__in=INACTIVE_CASE_STATES)
        .values_list("serial", "line__case__reference")
        .order_by("serial", "line__case__reference")
    )
    first_line: dict[str, int] = {}
    for serial, reference in clashes:
        if not first_line:
            for (line_id, _raw), own_serial in zip(serials, normalised, strict=True):
                first_line.setdefault(own_serial, positions.get(line_id))
        found = [first_line.get(normalise_serial(serial))]
        out.add(
            "serial_in_other_case",
            _(
                "Line %(line)s: the serial number %(serial)s is already in the active case "
                "%(reference)s. A unit may stand in one active case only: correct the serial "
                "number, or have the other case withdrawn or closed first."
            )
            % {"line": found[0], "serial": serial, "reference": reference},
            line=found[0],
            field="serials",
        )


def _check_documents(out: _Collector, *, regime: PreferenceRegime, lines: list, kinds: set[str]):
    gpu_lines = any(line.is_datacentre_gpu for line in lines)
    if gpu_lines and AttachmentKind.EXPORT_LICENCE not in kinds:
        out.add(
            "licence_document_missing",
            _("The case has data-centre GPUs: attach the exporter's licence (kind “%(kind)s”).")
            % {"kind": _kind_label(AttachmentKind.EXPORT_LICENCE)},
            field="attachments",
        )
    if gpu_lines and AttachmentKind.END_USER_STATEMENT not in kinds:
        out.add(
            "end_user_statement_missing",
            _(
                "Exporters of data-centre GPUs usually require an end-user statement; attach "
                "it (kind “%(kind)s”) so that customs and the authority see it."
            )
            % {"kind": _kind_label(AttachmentKind.END_USER_STATEMENT)},
            field="attachments",
        )
    required = regime.required_documents if isinstance(regime.required_documents, list) else []
    required = [kind for kind in required if isinstance(kind, str)]
    for kind in dict.fromkeys(required):
        if kind in kinds or (gpu_lines and kind == AttachmentKind.EXPORT_LICENCE):
            continue  # the licence was reported above
        out.add(
            "document_missing",
            _("The regime “%(regime)s” requires this document: attach the %(kind)s.")
            % {"regime": regime.name_en, "kind": _kind_label(kind).lower()},
            field="attachments",
        )


def check_case(*, case: ImportCase, today: date) -> list[Problem]:
    """Every problem of the case, case-wide ones first, then by line. Eight queries at most,
    whatever the number of lines and serials."""
    regime = case.regime
    known = _known_countries()
    out = _Collector()
    parties = list(CaseParty.objects.filter(case_id=case.pk).order_by("role", "id"))
    # Plain rows rather than model instances: a case may have thousands of lines.
    lines = list(
        EquipmentLine.objects.filter(case_id=case.pk)
        .values_list(
            "pk",
            "position",
            "hs_code",
            "quantity",
            "unit",
            "unit_price",
            "currency",
            "origin_country",
            "is_datacentre_gpu",
            "export_licence_number",
            named=True,
        )
        .order_by("position")
    )
    serials = list(
        SerialNumber.objects.filter(line__case_id=case.pk).values_list("line_id", "serial")
    )
    serial_counts = Counter(line_id for line_id, _serial in serials)
    goods = GoodsIndex(RegimeGoodsItem.objects.filter(regime_id=regime.pk))
    kinds = set(case.attachments.values_list("kind", flat=True).distinct())
    positions = {line.pk: line.position for line in lines}

    _check_regime(out, case, regime, today)
    _check_parties(out, case, parties, known)
    _check_documents(out, regime=regime, lines=lines, kinds=kinds)
    _check_lines(
        out,
        case=case,
        regime=regime,
        lines=lines,
        goods=goods,
        serial_counts=serial_counts,
        known=known,
    )
    _check_serials(out, case=case, serials=serials, positions=positions)
    # Case-wide problems first, then by line (stable: each line's problems keep their order).
    return sorted(out.problems, key=lambda p: (p.line is not None, p.line or 0))
