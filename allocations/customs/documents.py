"""The generated documents of an import case, and the service that stores them.

- The application letter (`application_letter_pdf`, A4, one language: "kk" or "ru"; "en"
  too): from the importer to the authority of the regime, asking it to confirm the
  preference for the equipment of the annex. WeasyPrint, templates/customs/pdf/.
- The equipment annex as PDF (`annex_pdf`, A4 landscape, "kk+ru" labels by default) and as
  XLSX (`annex_xlsx`: sheet "Annex" with one row per line, sheet "Serials" with one row per
  serial number, sheet "Case" with the case's particulars).
- The confirmation (`confirmation_pdf`, A4, "kk+ru"): registry number, importer, regime,
  equipment, validity, the verification code and a QR code of the public verification page.
  WeasyPrint.

Why the annex PDF is not WeasyPrint: measured on this machine, WeasyPrint lays out a
12-column table at about 50 rows a second (500 lines: 10 s, and a 5,000-line annex would
take minutes), because every cell is a Pango layout. The annex is a plain table, so it is
drawn by the small table writer at the end of this module (pydyf and fontTools, both already
installed with WeasyPrint): DejaVu Sans embedded as a subset with a ToUnicode map (the text
can be searched and copied, pdftotext reads it), header rows repeated on every page, rows
taller than a page split across pages. The workbook is written directly too (openpyxl
without lxml manages some 15,000 cells a second): see "A small XLSX writer". A 5,000-line
annex with 40,000 serial numbers takes a second or two as PDF and XLSX together
(benchmarks/bench_customs_annex.py).

Output is deterministic (no dates or random ids in the files): the same case gives the same
bytes, so `generate_case_documents` can tell by the SHA-256 whether a document changed.

Numbers are printed with digits grouped by no-break spaces and a decimal comma; HS codes
as the EAEU nomenclature writes them ("8471 50 000 0"); dates as dd.mm.yyyy.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop, pgettext_lazy

from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability
from allocations.customs.checks import format_hs_code, line_total
from allocations.customs.models import (
    CaseDocument,
    CaseParty,
    CaseState,
    Confirmation,
    EquipmentLine,
    ImportCase,
    PartyRole,
    SerialNumber,
)

logger = logging.getLogger(__name__)
# fontTools reports every step of subsetting a font at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

LETTER_TEMPLATE = "customs/pdf/application_letter.html"
CONFIRMATION_TEMPLATE = "customs/pdf/confirmation.html"

LETTER_LANGUAGES = ("kk", "ru", "en")
# Print languages of the bilingual documents → the languages of their labels.
LANGUAGE_SETS: dict[str, tuple[str, ...]] = {
    "kk+ru": ("kk", "ru"),
    "kk": ("kk",),
    "ru": ("ru",),
    "en": ("en",),
}
BILINGUAL = "kk+ru"
NBSP = "\u00a0"
# Up to this many lines the letter and the confirmation list every line; beyond it they
# give one row per HS code, unit and currency (the annex always lists everything).
LISTED_LINES_LIMIT = 20
# Excel refuses cells longer than this.
XLSX_CELL_LIMIT = 32_767

# States in which the application and the annex are (re)made, and the states after
# approval, in which missing documents are made once and the confirmation is issued.
SUBMITTED_STATES = (CaseState.SUBMITTED, CaseState.REVIEW)
APPROVED_STATES = (CaseState.APPROVED, CaseState.DECLARED, CaseState.MONITORING)
# Cases still being written: the annex says so on every page.
DRAFT_STATES = (CaseState.DRAFT, CaseState.CHANGES_REQUESTED)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Every label the bilingual documents print. English msgids; the catalogues translate.
LABELS: dict[str, str] = {
    "annex_title": gettext_noop("Equipment annex"),
    "annex_to": gettext_noop("Annex to the application %(reference)s"),
    "importer": gettext_noop("Importer"),
    "bin": gettext_noop("BIN"),
    "address": gettext_noop("Address"),
    "regime": gettext_noop("Preference regime"),
    "legal_basis": gettext_noop("Legal basis"),
    "authority": gettext_noop("Authority"),
    "contract": gettext_noop("Contract"),
    "contract_of": gettext_noop("No. %(number)s of %(date)s"),
    "planned_import_date": gettext_noop("Planned import date"),
    "installation_site": gettext_noop("Installation site"),
    "case": gettext_noop("Case"),
    "col_no": gettext_noop("No."),
    "col_name": gettext_noop("Name (description)"),
    "col_manufacturer": gettext_noop("Manufacturer"),
    "col_model": gettext_noop("Model"),
    "col_hs": gettext_noop("HS code"),
    "col_quantity": gettext_noop("Quantity"),
    "col_unit": gettext_noop("Unit"),
    "col_unit_price": gettext_noop("Unit price"),
    "col_total": gettext_noop("Total"),
    "col_currency": gettext_noop("Currency"),
    "col_origin": gettext_noop("Country of origin"),
    "col_origin_code": gettext_noop("Country code"),
    "col_serials": gettext_noop("Serial numbers"),
    "col_lines": gettext_noop("Lines"),
    "total_in": gettext_noop("Total, %(currency)s"),
    "totals": gettext_noop("Totals per currency"),
    "counts": gettext_noop("Lines: %(lines)s; serial numbers: %(serials)s"),
    "page": gettext_noop("Page %(page)s of %(pages)s"),
    "draft": gettext_noop("DRAFT: not submitted"),
    "serials_cut": gettext_noop("(%(count)s serial numbers: see the sheet Serials)"),
    "importer_signature": gettext_noop("For the importer: position, full name, signature"),
    "stamp": gettext_noop("Place of the seal"),
    "confirmation_title": gettext_noop("Confirmation of the import preference"),
    "registry_number": gettext_noop("Registry number"),
    "issued": gettext_noop("Date of issue"),
    "valid_until": gettext_noop("Valid until"),
    "exemption": gettext_noop("Exemption"),
    "duty": gettext_noop("customs duty"),
    "vat": gettext_noop("import VAT"),
    "equipment": gettext_noop("Equipment"),
    "summary_note": gettext_noop(
        "One row per HS code; every line with its serial numbers is in the equipment annex."
    ),
    "annex_sha": gettext_noop("Equipment annex, SHA-256"),
    "verification_code": gettext_noop("Verification code"),
    "verify_note": gettext_noop(
        "Anyone holding this code can check the confirmation at this address or by scanning "
        "the QR code; the page shows whether it is valid, expired or revoked."
    ),
    "issuer": gettext_noop("National AI Compute Centre, import desk"),
    "issuer_sub": gettext_noop("Astana, Republic of Kazakhstan"),
    "confirmation_statement": gettext_noop(
        "The import desk confirms that the import case below was reviewed and that the "
        "equipment listed qualifies for the preference of the regime named, within the "
        "quantities and values stated."
    ),
    "monitoring_note": gettext_noop(
        "The equipment must stay at the declared site for its declared use; the importer "
        "reports on its use while the monitoring lasts."
    ),
    "sheet_case": gettext_noop("Case"),
}

# Units as printed (translated when printed); other units are printed as entered.
UNIT_LABELS = {
    "pcs": pgettext_lazy("unit of measure", "pcs"),
    "pc": pgettext_lazy("unit of measure", "pcs"),
    "set": pgettext_lazy("unit of measure", "set"),
    "m": pgettext_lazy("unit of measure", "m"),
    "kg": pgettext_lazy("unit of measure", "kg"),
}

# Kazakh names of the usual countries of origin of data-centre equipment (django-countries
# has no Kazakh catalogue); other countries fall back to the Russian name.
KAZAKH_COUNTRY_NAMES = {
    "CN": "Қытай",
    "TW": "Тайвань",
    "US": "АҚШ",
    "MY": "Малайзия",
    "MX": "Мексика",
    "TH": "Таиланд",
    "VN": "Вьетнам",
    "KR": "Корея Республикасы",
    "JP": "Жапония",
    "DE": "Германия",
    "NL": "Нидерланд",
    "IL": "Израиль",
    "SG": "Сингапур",
    "CZ": "Чехия",
    "HU": "Венгрия",
    "PH": "Филиппин",
    "IN": "Үндістан",
    "KZ": "Қазақстан",
    "RU": "Ресей",
    "GB": "Ұлыбритания",
    "FR": "Франция",
    "IT": "Италия",
    "PL": "Польша",
    "IE": "Ирландия",
    "CH": "Швейцария",
    "SE": "Швеция",
    "FI": "Финляндия",
    "TR": "Түркия",
    "ID": "Индонезия",
    "CA": "Канада",
    "AE": "БАӘ",
    "BY": "Беларусь",
    "KG": "Қырғызстан",
    "AM": "Армения",
    "UZ": "Өзбекстан",
}

# Short Russian names where django-countries gives the long official one.
SHORT_RUSSIAN_NAMES = {
    "US": "США",
    "GB": "Великобритания",
    "KR": "Республика Корея",
    "AE": "ОАЭ",
    "RU": "Россия",
    "TW": "Тайвань",
}


# --- Labels in one or two languages ------------------------------------------------------


class Label:
    """One text in every language of a document: printed "Kazakh / Russian", or one per
    line (`lines`); a text that reads the same in both is printed once."""

    def __init__(self, parts):
        self.lines = list(dict.fromkeys(part for part in parts if part))

    def __str__(self) -> str:
        return " / ".join(self.lines)


def languages_of(language: str) -> tuple[str, ...]:
    try:
        return LANGUAGE_SETS[language]
    except KeyError:
        raise ValueError(f"unsupported document language {language!r}") from None


def labels(languages: tuple[str, ...]) -> dict[str, Label]:
    translated: dict[str, list[str]] = {key: [] for key in LABELS}
    for language in languages:
        with translation.override(language):
            for key, msgid in LABELS.items():
                translated[key].append(translation.gettext(msgid))
    return {key: Label(parts) for key, parts in translated.items()}


def label_with(languages: tuple[str, ...], key: str, **values) -> Label:
    """A label with placeholders, filled in each language."""
    parts = []
    for language in languages:
        with translation.override(language):
            parts.append(translation.gettext(LABELS[key]) % values)
    return Label(parts)


def unit_label(unit: str, languages: tuple[str, ...]) -> str:
    text = UNIT_LABELS.get((unit or "").strip().lower())
    if text is None:
        return unit
    parts = []
    for language in languages:
        with translation.override(language):
            parts.append(str(text))
    return str(Label(parts))


# --- Numbers, codes, dates, countries ----------------------------------------------------


def group_number(value: Decimal, places: int) -> str:
    """Decimal("1234567.5") → "1 234 567,50" (no-break spaces), rounded half up."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _dot, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{grouped},{fraction}" if places else f"{sign}{grouped}"


def money(value: Decimal) -> str:
    return group_number(value, 2)


def quantity_text(value: Decimal) -> str:
    """Quantities have 3 decimals in the database; 8.000 prints "8", 2.500 "2,5"."""
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent)
    return group_number(value, min(places, 3))


def dmy(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def local_date(moment) -> date | None:
    return timezone.localdate(moment) if moment else None


@lru_cache(maxsize=4)
def _countries_catalogue(language: str):
    """django-countries' own catalogue (the package is not an installed app here)."""
    import gettext

    import django_countries

    localedir = Path(django_countries.__file__).resolve().parent / "locale"
    try:
        return gettext.translation("django", localedir=str(localedir), languages=[language])
    except OSError:
        return None


@lru_cache(maxsize=512)
def country_name(code: str, language: str) -> str:
    from django_countries import countries

    code = (code or "").upper()
    with translation.override("en"):
        english = str(countries.name(code)) or code
    if language == "kk" and code in KAZAKH_COUNTRY_NAMES:
        return KAZAKH_COUNTRY_NAMES[code]
    if language in ("kk", "ru") and code in SHORT_RUSSIAN_NAMES:
        return SHORT_RUSSIAN_NAMES[code]
    if language in ("kk", "ru"):
        catalogue = _countries_catalogue("ru")
        return catalogue.gettext(english) if catalogue else english
    return english


def country_text(code: str, languages: tuple[str, ...]) -> str:
    """ "Қытай / Китай (CN)"."""
    if not code:
        return ""
    names = Label([country_name(code, language) for language in languages])
    return f"{names} ({code.upper()})"


def regime_name(regime, language: str) -> str:
    return getattr(regime, f"name_{language}", "") or regime.name_ru or regime.name_en


# --- The case's data -----------------------------------------------------------------------


@dataclass(frozen=True)
class PartyData:
    name: str
    bin: str
    address: str
    country: str = "KZ"


@dataclass
class AnnexLine:
    position: int
    description: str
    manufacturer: str
    model: str
    hs_code: str  # as printed: "8471 50 000 0"
    quantity: Decimal
    unit: str
    unit_price: Decimal
    total: Decimal
    currency: str
    origin: str  # ISO code
    serials: list[str] = field(default_factory=list)


@dataclass
class SummaryRow:
    """Lines of one HS code, unit and currency added up (for the letter and confirmation)."""

    hs_code: str
    description: str
    quantity: Decimal
    unit: str
    currency: str
    value: Decimal
    lines: int


@dataclass
class CaseData:
    case: ImportCase
    importer: PartyData
    supplier: PartyData | None
    lines: list[AnnexLine]
    totals: list[tuple[str, Decimal]]  # per currency, by currency code
    serial_count: int

    @property
    def listed(self) -> bool:
        """Whether the letter and the confirmation list every line."""
        return len(self.lines) <= LISTED_LINES_LIMIT

    def summary(self) -> list[SummaryRow]:
        groups: dict[tuple[str, str, str], SummaryRow] = {}
        descriptions: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for line in self.lines:
            key = (line.hs_code, line.unit, line.currency)
            row = groups.get(key)
            if row is None:
                row = groups[key] = SummaryRow(
                    line.hs_code, "", Decimal(0), line.unit, line.currency, Decimal(0), 0
                )
            row.quantity += line.quantity
            row.value += line.total
            row.lines += 1
            if line.description not in descriptions[key]:
                descriptions[key].append(line.description)
        for key, row in groups.items():
            names = descriptions[key]
            row.description = "; ".join(names[:3]) + ("; …" if len(names) > 3 else "")
        return [groups[key] for key in sorted(groups)]


def _party(party: CaseParty | None) -> PartyData | None:
    if party is None:
        return None
    return PartyData(party.name, party.bin, party.address, party.country)


def importer_of(case: ImportCase, parties: list[CaseParty] | None = None) -> PartyData:
    """The importer as the case states it (its importer party), completed from the
    organisation; the organisation alone when the case has no importer party."""
    if parties is None:
        parties = list(case.parties.filter(role=PartyRole.IMPORTER).order_by("id")[:1])
    party = next((p for p in parties if p.role == PartyRole.IMPORTER), None)
    organisation = case.organisation
    if party is None:
        return PartyData(organisation.legal_name, organisation.bin or "", organisation.address)
    return PartyData(
        party.name or organisation.legal_name,
        party.bin or organisation.bin or "",
        party.address or organisation.address,
        party.country or organisation.country,
    )


def case_data(case: ImportCase) -> CaseData:
    """Parties, lines, serial numbers and totals of the case in three queries."""
    parties = list(case.parties.order_by("role", "id"))
    rows = (
        EquipmentLine.objects.filter(case_id=case.pk)
        .order_by("position")
        .values_list(
            "id",
            "position",
            "description",
            "manufacturer",
            "model",
            "hs_code",
            "quantity",
            "unit",
            "unit_price",
            "currency",
            "origin_country",
        )
    )
    lines: dict[int, AnnexLine] = {}
    for pk, position, description, maker, model, hs, qty, unit, price, currency, origin in rows:
        lines[pk] = AnnexLine(
            position=position,
            description=description,
            manufacturer=maker,
            model=model,
            hs_code=format_hs_code(hs),
            quantity=qty,
            unit=unit,
            unit_price=price,
            total=line_total(qty, price),
            currency=currency,
            origin=origin,
        )
    serial_count = 0
    serials = (
        SerialNumber.objects.filter(line__case_id=case.pk)
        .order_by("line_id", "serial")
        .values_list("line_id", "serial")
    )
    for line_id, serial in serials:
        lines[line_id].serials.append(serial)
        serial_count += 1
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines.values():
        totals[line.currency] += line.total
    supplier = next((p for p in parties if p.role == PartyRole.SUPPLIER), None)
    return CaseData(
        case=case,
        importer=importer_of(case, parties),
        supplier=_party(supplier),
        lines=list(lines.values()),
        totals=sorted(totals.items()),
        serial_count=serial_count,
    )


def _load_case(case_or_id) -> ImportCase:
    if isinstance(case_or_id, ImportCase):
        return case_or_id
    return ImportCase.objects.select_related("organisation", "regime").get(pk=case_or_id)


def _render_pdf(template: str, context: dict, *, language: str) -> bytes:
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- Application letter --------------------------------------------------------------------


def equipment_context(data: CaseData, languages: tuple[str, ...]) -> dict:
    """The equipment table of the letter and the confirmation (customs/pdf/_equipment.html):
    every line up to LISTED_LINES_LIMIT lines, one row per HS code beyond; totals."""
    t = labels(languages)
    units = {unit: unit_label(unit, languages) for unit in {line.unit for line in data.lines}}
    keys = {
        "no": "col_no",
        "name": "col_name",
        "model": "col_model",
        "hs": "col_hs",
        "quantity": "col_quantity",
        "unit": "col_unit",
        "total": "col_total",
        "currency": "col_currency",
        "lines": "col_lines",
        "summary_note": "summary_note",
    }
    return {
        "l": {name: str(t[key]) for name, key in keys.items()},
        "listed": data.listed,
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "model": f"{line.manufacturer} {line.model}".strip(),
                "hs_code": line.hs_code,
                "quantity": quantity_text(line.quantity),
                "unit": units[line.unit],
                "total": money(line.total),
                "currency": line.currency,
            }
            for line in (data.lines if data.listed else [])
        ],
        "summary": [
            {
                "hs_code": row.hs_code,
                "description": row.description,
                "quantity": quantity_text(row.quantity),
                "unit": units[row.unit],
                "value": money(row.value),
                "currency": row.currency,
                "lines": row.lines,
            }
            for row in ([] if data.listed else data.summary())
        ],
        "totals": [
            (str(label_with(languages, "total_in", currency=currency)), money(total))
            for currency, total in data.totals
        ],
    }


def letter_context(data: CaseData, *, language: str) -> dict:
    case = data.case
    regime = case.regime
    with translation.override(language):
        attachments = [
            {"kind": str(attachment.get_kind_display()), "name": attachment.original_name}
            for attachment in case.attachments.order_by("kind", "uploaded_at", "id")
        ]
    return {
        "language": language,
        "case": case,
        "regime": regime,
        "regime_name": regime_name(regime, language),
        "importer": data.importer,
        "supplier": data.supplier,
        "supplier_country": country_name(data.supplier.country, language) if data.supplier else "",
        "letter_date": dmy(local_date(case.submitted_at) or timezone.localdate()),
        "contract_date": dmy(case.contract_date),
        "planned_import_date": dmy(case.planned_import_date),
        "line_count": len(data.lines),
        "serial_count": data.serial_count,
        "attachments": attachments,
        "is_draft": case.state in DRAFT_STATES,
        **equipment_context(data, (language,)),
    }


def application_letter_pdf(case: ImportCase, *, language: str) -> bytes:
    """The importer's letter to the regime's authority, in one language (A4 PDF)."""
    if language not in LETTER_LANGUAGES:
        raise ValueError(f"unsupported letter language {language!r}")
    case = _load_case(case)
    context = letter_context(case_data(case), language=language)
    return _render_pdf(LETTER_TEMPLATE, context, language=language)


# --- Equipment annex ----------------------------------------------------------------------


# (label key, width in points, alignment) of the annex table; 786 pt fit landscape A4.
ANNEX_COLUMNS = (
    ("col_no", 24, "right"),
    ("col_name", 118, "left"),
    ("col_manufacturer", 58, "left"),
    ("col_model", 68, "left"),
    ("col_hs", 52, "left"),
    ("col_quantity", 38, "right"),
    ("col_unit", 30, "left"),
    ("col_unit_price", 56, "right"),
    ("col_total", 62, "right"),
    ("col_currency", 38, "left"),
    ("col_origin", 62, "left"),
    ("col_serials", 180, "left"),
)


def _annex_head(data: CaseData, t: dict[str, Label], languages) -> list[tuple[str, bool]]:
    """The particulars printed above the table on the first page: (text, bold)."""
    case = data.case
    importer = data.importer
    rows = [
        (f"{t['importer']}: {importer.name}; {t['bin']}: {importer.bin or '—'}", True),
        (f"{t['address']}: {importer.address}", False),
        (
            f"{t['regime']}: "
            f"{Label([regime_name(case.regime, language) for language in languages])}; "
            f"{t['legal_basis']}: {case.regime.legal_basis}",
            False,
        ),
    ]
    if case.contract_number:
        contract = label_with(
            languages, "contract_of", number=case.contract_number, date=dmy(case.contract_date)
        )
        rows.append((f"{t['contract']}: {contract}", False))
    if case.registry_number:
        rows.append((f"{t['registry_number']}: {case.registry_number}", False))
    return rows


def annex_pdf(case: ImportCase, *, language: str = BILINGUAL) -> bytes:
    """Every line of the case with its serial numbers, totals per currency (A4 landscape)."""
    languages = languages_of(language)
    case = _load_case(case)
    data = case_data(case)
    t = labels(languages)
    units = {unit: unit_label(unit, languages) for unit in {line.unit for line in data.lines}}
    origins = {code: country_text(code, languages) for code in {line.origin for line in data.lines}}
    title = f"{t['annex_title']}"
    writer = TablePdf(
        title=title,
        subtitle=str(label_with(languages, "annex_to", reference=case.reference)),
        head=_annex_head(data, t, languages),
        columns=[(t[key].lines, width, align) for key, width, align in ANNEX_COLUMNS],
        running_head=f"{case.reference} · {title}",
        mark=str(t["draft"]) if case.state in DRAFT_STATES else "",
        page_label=lambda page, pages: str(label_with(languages, "page", page=page, pages=pages)),
    )
    for line in data.lines:
        writer.row(
            [
                str(line.position),
                line.description,
                line.manufacturer,
                line.model,
                line.hs_code,
                quantity_text(line.quantity),
                units[line.unit],
                money(line.unit_price),
                money(line.total),
                line.currency,
                origins[line.origin],
                ", ".join(line.serials),
            ]
        )
    for currency, total in data.totals:
        writer.total_row(
            str(label_with(languages, "total_in", currency=currency)),
            value_column=8,
            value=money(total),
            after=[currency],
        )
    writer.text(
        str(label_with(languages, "counts", lines=len(data.lines), serials=data.serial_count))
    )
    writer.signature(str(t["importer_signature"]), str(t["stamp"]))
    return writer.build(title=f"{case.reference} {title}")


def annex_xlsx(case: ImportCase) -> bytes:
    """The annex as a workbook: "Annex" (one row per line, totals per currency below),
    "Serials" (one row per serial number with its line no.) and "Case" (the particulars).
    Headers in Kazakh and Russian; amounts are numbers formatted #,##0.00."""
    languages = LANGUAGE_SETS[BILINGUAL]
    case = _load_case(case)
    data = case_data(case)
    t = labels(languages)
    columns = (
        ("col_no", 6),
        ("col_name", 40),
        ("col_manufacturer", 18),
        ("col_model", 22),
        ("col_hs", 15),
        ("col_quantity", 10),
        ("col_unit", 9),
        ("col_unit_price", 16),
        ("col_total", 18),
        ("col_currency", 9),
        ("col_origin", 22),
        ("col_origin_code", 9),
        ("col_serials", 60),
    )
    annex = XlsxSheet("Annex", [width for _key, width in columns], landscape=True)
    annex.append([(str(t[key]), XlsxSheet.HEADER) for key, _width in columns])
    units = {unit: unit_label(unit, languages) for unit in {line.unit for line in data.lines}}
    origins = {
        code: str(Label([country_name(code, language) for language in languages]))
        for code in {line.origin for line in data.lines}
    }
    money_style = XlsxSheet.MONEY
    for line in data.lines:
        joined = ", ".join(line.serials)
        if len(joined) > XLSX_CELL_LIMIT:
            joined = str(label_with(languages, "serials_cut", count=len(line.serials)))
        annex.append(
            [
                line.position,
                line.description,
                line.manufacturer,
                line.model,
                line.hs_code,
                line.quantity,
                units[line.unit],
                (line.unit_price, money_style),
                (line.total, money_style),
                line.currency,
                origins[line.origin],
                line.origin.upper(),
                joined,
            ]
        )
    annex.append([])
    for currency, total in data.totals:
        label = str(label_with(languages, "total_in", currency=currency))
        annex.append(
            [None, (label, XlsxSheet.BOLD), *[None] * 6, (total, XlsxSheet.BOLD_MONEY), currency]
        )

    serials = XlsxSheet("Serials", [8, 36])
    serials.append(
        [(str(t["col_no"]), XlsxSheet.HEADER), (str(t["col_serials"]), XlsxSheet.HEADER)]
    )
    for line in data.lines:
        position = line.position
        for serial in line.serials:
            serials.append([position, serial])

    particulars = XlsxSheet("Case", [32, 80], freeze=False)
    importer = data.importer
    rows = [
        (t["case"], case.reference),
        (t["registry_number"], case.registry_number or ""),
        (t["importer"], importer.name),
        (t["bin"], importer.bin),
        (t["address"], importer.address),
        (t["regime"], str(Label([regime_name(case.regime, lang) for lang in languages]))),
        (t["legal_basis"], case.regime.legal_basis),
        (t["contract"], case.contract_number),
        (t["planned_import_date"], dmy(case.planned_import_date)),
        (t["installation_site"], case.installation_site),
        (t["col_lines"], len(data.lines)),
        (t["col_serials"], data.serial_count),
    ]
    for label, value in rows:
        particulars.append([(str(label), XlsxSheet.BOLD), value])
    for currency, total in data.totals:
        label = str(label_with(languages, "total_in", currency=currency))
        particulars.append([(label, XlsxSheet.BOLD), (total, money_style)])
    return xlsx_workbook([annex, serials, particulars], print_titles={0: 1})


# --- Confirmation ---------------------------------------------------------------------------


def verification_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("customs:verify_code", args=[code])


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URI (WeasyPrint embeds it as vectors)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _latest_annex_sha(case: ImportCase) -> str:
    return (
        CaseDocument.objects.filter(case=case, kind=CaseDocument.Kind.ANNEX_PDF)
        .order_by("-generated_at", "-id")
        .values_list("sha256", flat=True)
        .first()
        or ""
    )


def confirmation_context(confirmation: Confirmation, *, languages: tuple[str, ...]) -> dict:
    from allocations.customs.verification import format_code

    case = confirmation.case
    data = case_data(case)
    regime = case.regime
    t = labels(languages)
    url = verification_url(confirmation.verification_code)
    exemptions = [
        str(t[key])
        for key, on in (("duty", regime.exempts_duty), ("vat", regime.exempts_vat))
        if on
    ]
    contract = ""
    if case.contract_number:
        contract = label_with(
            languages, "contract_of", number=case.contract_number, date=dmy(case.contract_date)
        )
    return {
        "lang": languages[0],
        "t": t,
        "confirmation": confirmation,
        "case": case,
        "importer": data.importer,
        "regime_name": Label([regime_name(regime, language) for language in languages]),
        "regime": regime,
        "exemptions": ", ".join(exemptions),
        "issued": dmy(local_date(confirmation.issued_at)),
        "valid_until": dmy(confirmation.valid_until),
        "contract": contract,
        "counts": label_with(languages, "counts", lines=len(data.lines), serials=data.serial_count),
        "annex_sha": _latest_annex_sha(case),
        "code": format_code(confirmation.verification_code),
        "url": url,
        "qr": qr_data_uri(url),
        **equipment_context(data, languages),
    }


def confirmation_pdf(confirmation: Confirmation, *, language: str = BILINGUAL) -> bytes:
    """The confirmation issued on approval (A4 PDF), with its verification code and QR."""
    languages = languages_of(language)
    confirmation = Confirmation.objects.select_related("case__organisation", "case__regime").get(
        pk=confirmation.pk
    )
    context = confirmation_context(confirmation, languages=languages)
    return _render_pdf(CONFIRMATION_TEMPLATE, context, language=languages[0])


# --- Generation and storage (the Celery task calls this) -----------------------------------


@dataclass(frozen=True)
class Rendered:
    kind: str
    language: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _latest_shas(case: ImportCase) -> dict[tuple[str, str], str]:
    latest: dict[tuple[str, str], str] = {}
    for kind, language, sha in (
        CaseDocument.objects.filter(case=case)
        .order_by("-generated_at", "-id")
        .values_list("kind", "language", "sha256")
    ):
        latest.setdefault((kind, language), sha)
    return latest


def document_filename(case: ImportCase, kind: str, language: str) -> str:
    """ "IMP-2026-00042-annex.xlsx", "IMP-2026-00042-application-letter-kk.pdf"."""
    stem = {
        CaseDocument.Kind.APPLICATION_LETTER: f"application-letter-{language}",
        CaseDocument.Kind.ANNEX_PDF: "annex",
        CaseDocument.Kind.ANNEX_XLSX: "annex",
        CaseDocument.Kind.CONFIRMATION: "confirmation",
    }.get(kind, kind)
    extension = "xlsx" if kind == CaseDocument.Kind.ANNEX_XLSX else "pdf"
    return f"{case.reference}-{stem}.{extension}"


def _store(case: ImportCase, rendered: Rendered, *, now) -> CaseDocument:
    document = CaseDocument(
        case=case,
        kind=rendered.kind,
        language=rendered.language,
        sha256=rendered.sha256,
        generated_at=now,
    )
    name = document_filename(case, rendered.kind, rendered.language)
    document.file.save(name, ContentFile(rendered.content), save=False)
    document.save()
    return document


def _submission_documents(case: ImportCase, latest: dict, *, only_missing: bool) -> list:
    """The letters and the annex: each rendered (unless `only_missing` and one is stored)
    and kept when its bytes differ from the newest stored one of its kind and language."""
    letter = CaseDocument.Kind.APPLICATION_LETTER
    makers = [
        (letter, "kk", lambda: application_letter_pdf(case, language="kk")),
        (letter, "ru", lambda: application_letter_pdf(case, language="ru")),
        (CaseDocument.Kind.ANNEX_PDF, BILINGUAL, lambda: annex_pdf(case)),
        (CaseDocument.Kind.ANNEX_XLSX, BILINGUAL, lambda: annex_xlsx(case)),
    ]
    wanted = []
    for kind, language, render in makers:
        if only_missing and (kind, language) in latest:
            continue
        rendered = Rendered(kind, language, render())
        if latest.get((kind, language)) != rendered.sha256:
            wanted.append(rendered)
    return wanted


def generate_case_documents(*, case_id: int, now=None) -> list[CaseDocument]:
    """Render and store what the case's state calls for; safe to run twice.

    - submitted, review: the application letters (kk, ru) and the annex (PDF, XLSX). Each
      is rendered afresh; a new row is stored only when its SHA-256 differs from the newest
      row of its kind and language (older rows stay as the history). A second run, or a
      run after a resubmission without changes, stores nothing.
    - approved, declared, monitoring: the letters and the annex only if none was ever
      stored (a case approved before the worker got to it), then the confirmation once:
      stored with its SHA-256 in `Confirmation.document_sha256`; never remade after that
      (what was issued is what was issued; revoking it shows on the verification page).
    - other states: nothing.

    The case row is locked while it works, so two workers do not store the same document.
    Returns the rows stored by this call.
    """
    now = now or timezone.now()
    created: list[CaseDocument] = []
    with transaction.atomic():
        case = (
            ImportCase.objects.select_for_update(of=("self",))
            .select_related("organisation", "regime")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            logger.warning("generate_case_documents: no import case %s", case_id)
            return []
        latest = _latest_shas(case)
        rendered: list[Rendered] = []
        if case.state in SUBMITTED_STATES:
            rendered = _submission_documents(case, latest, only_missing=False)
        elif case.state in APPROVED_STATES:
            rendered = _submission_documents(case, latest, only_missing=True)
        for item in rendered:
            created.append(_store(case, item, now=now))
        if case.state in APPROVED_STATES:
            document = _issue_confirmation_document(case, now=now)
            if document is not None:
                created.append(document)
        if created:
            record(
                actor=None,
                verb="import_case.documents_generated",
                target=case,
                to_state=case.state,
                data={
                    "documents": [
                        {"kind": d.kind, "language": d.language, "sha256": d.sha256}
                        for d in created
                    ]
                },
            )
    return created


def _issue_confirmation_document(case: ImportCase, *, now) -> CaseDocument | None:
    confirmation = (
        Confirmation.objects.select_for_update().select_related("case").filter(case=case).first()
    )
    if confirmation is None:
        logger.warning("import case %s is %s but has no confirmation", case.pk, case.state)
        return None
    if (
        confirmation.document_sha256
        and CaseDocument.objects.filter(
            case=case, kind=CaseDocument.Kind.CONFIRMATION, sha256=confirmation.document_sha256
        ).exists()
    ):
        return None
    content = confirmation_pdf(confirmation)
    document = _store(case, Rendered(CaseDocument.Kind.CONFIRMATION, BILINGUAL, content), now=now)
    confirmation.document_sha256 = document.sha256
    confirmation.save(update_fields=["document_sha256"])
    return document


# --- Who may download ------------------------------------------------------------------------


def case_for_documents(*, user, case_pk: int) -> ImportCase:
    """The case, for its importers (owners and members of its organisation) and, once
    submitted, for the import desk; 404 for everyone else (ids reveal nothing)."""
    from allocations.customs.case_services import desk_may_see, is_importer

    case = ImportCase.objects.select_related("organisation", "regime").filter(pk=case_pk).first()
    if case is None or not user.is_authenticated:
        raise Http404
    if is_importer(user, case.organisation_id):
        return case
    if has_capability(user, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        return case
    raise Http404


def document_for_user(*, user, pk: int) -> CaseDocument:
    case_id = CaseDocument.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404
    case = case_for_documents(user=user, case_pk=case_id)
    document = CaseDocument.objects.get(pk=pk)
    document.case = case
    return document


def content_type_of(document: CaseDocument) -> str:
    return XLSX if document.kind == CaseDocument.Kind.ANNEX_XLSX else PDF


# --- A small XLSX writer -------------------------------------------------------------------
#
# openpyxl writes about 15,000 cells a second without lxml (not installed here): 8-10 s
# for a 5,000-line annex with 40,000 serial numbers. The workbook is three plain sheets,
# so it is written directly: inline strings, four cell styles, fixed zip timestamps (the
# same case gives the same bytes). openpyxl reads it back in the tests.

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 does not allow.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_STYLES = f"""{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
applyFont="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xml_text(value: str) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", value))


class XlsxSheet:
    """Rows of one sheet. A cell is None (empty), a str, an int or a Decimal, or a
    (value, style) pair with one of the styles below."""

    PLAIN, HEADER, MONEY, BOLD_MONEY, BOLD = range(5)

    def __init__(self, name: str, widths: list[float], *, freeze: bool = True, landscape=False):
        self.name = name
        self.widths = widths
        self.freeze = freeze
        self.landscape = landscape
        self.rows: list[str] = []
        self._letters = [_column_letter(i) for i in range(max(len(widths), 16))]

    def append(self, cells: list) -> None:
        number = len(self.rows) + 1
        parts = [f'<row r="{number}">']
        for index, cell in enumerate(cells):
            style = 0
            if isinstance(cell, tuple):
                cell, style = cell
            if cell is None or cell == "":
                continue
            if index >= len(self._letters):
                self._letters.append(_column_letter(index))
            s = f' s="{style}"' if style else ""
            ref = f"{self._letters[index]}{number}"
            if isinstance(cell, bool):
                cell = str(cell)
            if isinstance(cell, int | Decimal | float):
                value = format(cell, "f") if isinstance(cell, Decimal) else str(cell)
                parts.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
            else:
                parts.append(
                    f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
                    f"{_xml_text(str(cell))}</t></is></c>"
                )
        parts.append("</row>")
        self.rows.append("".join(parts))

    def xml(self) -> str:
        view = (
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            if self.freeze
            else '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(self.widths, start=1)
        )
        setup = '<pageSetup paperSize="9" orientation="landscape"/>' if self.landscape else ""
        return (
            f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{view}'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
            f"<sheetData>{''.join(self.rows)}</sheetData>"
            '<printOptions gridLines="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" '
            f'footer="0.3"/>{setup}</worksheet>'
        )


def xlsx_workbook(sheets: list[XlsxSheet], *, print_titles: dict[int, int] | None = None) -> bytes:
    """The workbook of `sheets`; `print_titles` {sheet index: rows} repeats the first rows
    of a sheet on every printed page."""
    import zipfile

    content_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    files = {
        "[Content_Types].xml": (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{content_types}'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
    }
    names = "".join(
        f'<sheet name="{_xml_text(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, sheet in enumerate(sheets, start=1)
    )
    defined = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
        f"'{_xml_text(sheets[index].name)}'!$1:${rows}</definedName>"
        for index, rows in sorted((print_titles or {}).items())
    )
    files["xl/workbook.xml"] = (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{names}</sheets>"
        + (f"<definedNames>{defined}</definedNames>" if defined else "")
        + "</workbook>"
    )
    relations = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    files["xl/_rels/workbook.xml.rels"] = (
        f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">{relations}'
        f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL_NS}/styles" '
        'Target="styles.xml"/></Relationships>'
    )
    files["xl/styles.xml"] = _STYLES
    for i, sheet in enumerate(sheets, start=1):
        files[f"xl/worksheets/sheet{i}.xml"] = sheet.xml()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buffer.getvalue()


# --- A fast table PDF writer ------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = 841.89, 595.28  # A4 landscape, points
MARGIN = 28.0
FONT_SIZE = 6.5
LEADING = 7.6
PAD = 2.0
HEAD_SIZE = 7.5
TITLE_SIZE = 12.0
FOOTER_SIZE = 6.5
_FONT_FILES = {
    "regular": ("DejaVu Sans", "DejaVuSans.ttf"),
    "bold": ("DejaVu Sans:bold", "DejaVuSans-Bold.ttf"),
}
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


@lru_cache(maxsize=2)
def _font_path(style: str) -> str:
    pattern, filename = _FONT_FILES[style]
    for directory in _FONT_DIRS:
        candidate = Path(directory) / filename
        if candidate.exists():
            return str(candidate)
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}", pattern], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if not found.lower().endswith(".ttf"):
        raise RuntimeError("DejaVu Sans (fonts-dejavu-core) is needed for the equipment annex")
    return found


class _Default(dict):
    """A dict answering `default` for missing keys (at C speed for map and translate)."""

    def __init__(self, data, default):
        super().__init__(data)
        self.default = default

    def __missing__(self, key):
        return self.default


class _FontMetrics:
    """Glyph ids and advance widths (in 1/1000 em) of a TrueType font, read once."""

    def __init__(self, path: str):
        from fontTools.ttLib import TTFont

        font = TTFont(path, lazy=True)
        self.path = path
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        index = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
        self.missing = metrics[".notdef"][0] * scale
        self.gid: dict[str, int] = {}
        advance: dict[str, float] = {}
        for codepoint, name in font.getBestCmap().items():
            self.gid[chr(codepoint)] = index[name]
            advance[chr(codepoint)] = metrics[name][0] * scale
        self.advance = _Default(advance, self.missing)
        # str.translate table: code point → the glyph id as 4 hex digits (Identity-H).
        self.hex = _Default({ord(char): f"{gid:04x}" for char, gid in self.gid.items()}, "0000")
        self.widths_by_gid = {
            gid: round(metrics[name][0] * scale) for name, gid in index.items() if name in metrics
        }
        head = font["head"]
        self.bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(font["hhea"].ascent * scale)
        self.descent = round(font["hhea"].descent * scale)
        self.postscript_name = font["name"].getDebugName(6) or "DejaVuSans"
        font.close()


@lru_cache(maxsize=2)
def _metrics(style: str) -> _FontMetrics:
    return _FontMetrics(_font_path(style))


class _Font:
    """A font as one document uses it: measures, encodes and remembers the characters."""

    def __init__(self, style: str, resource: str):
        self.metrics = _metrics(style)
        self.resource = resource
        self.used: set[str] = set()

    def width(self, text: str, size: float) -> float:
        return sum(map(self.metrics.advance.__getitem__, text)) * size / 1000

    def encode(self, text: str) -> str:
        self.used.update(text)
        return text.translate(self.metrics.hex)

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Greedy line breaking at spaces; words wider than the line are cut."""
        text = " ".join(text.split())
        if not text:
            return [""]
        if self.width(text, size) <= width:
            return [text]
        advance = self.metrics.advance
        measure = advance.__getitem__
        limit = width * 1000 / size
        space = advance[" "]
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        for word in text.split(" "):
            word_width = sum(map(measure, word))
            needed = word_width + (space if current else 0)
            if used + needed <= limit:
                current.append(word)
                used += needed
                continue
            if current:
                lines.append(" ".join(current))
                current, used = [], 0.0
            while word_width > limit:
                cut, run = 0, 0.0
                for char in word:
                    step = advance[char]
                    if run + step > limit and cut:
                        break
                    run += step
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
                word_width = sum(map(measure, word))
            current, used = [word], word_width
        if current:
            lines.append(" ".join(current))
        return lines

    def embed(self, pdf) -> bytes:
        """Add the font (a subset: the glyphs used) to `pdf`; its reference."""
        import pydyf
        from fontTools import subset
        from fontTools.ttLib import TTFont

        metrics = self.metrics
        chars = sorted(char for char in self.used if char in metrics.gid)
        gids = sorted({0, *(metrics.gid[char] for char in chars)})
        options = subset.Options()
        options.retain_gids = True
        options.hinting = False
        options.notdef_outline = True
        options.layout_features = []
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
        options.layout_closure = False
        unused = ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "MATH"]
        options.drop_tables += unused
        font = TTFont(metrics.path, lazy=True, recalcTimestamp=False)
        for tag in unused:
            if tag in font:
                del font[tag]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=gids)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        data = buffer.getvalue()
        digest = hashlib.sha256(("".join(chars) + self.resource).encode()).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        base = f"/{tag}+{metrics.postscript_name}"

        font_file = _deflated(data, {"Length1": len(data)})
        pdf.add_object(font_file)
        descriptor = pydyf.Dictionary(
            {
                "Type": "/FontDescriptor",
                "FontName": base,
                "Flags": 4,
                "FontBBox": pydyf.Array(metrics.bbox),
                "ItalicAngle": 0,
                "Ascent": metrics.ascent,
                "Descent": metrics.descent,
                "CapHeight": metrics.ascent,
                "StemV": 80,
                "FontFile2": font_file.reference,
            }
        )
        pdf.add_object(descriptor)
        widths = pydyf.Array()
        run_start, run = None, []
        for gid in gids:
            width = metrics.widths_by_gid.get(gid, 0)
            if run_start is not None and gid == run_start + len(run):
                run.append(width)
                continue
            if run_start is not None:
                widths.extend([run_start, pydyf.Array(run)])
            run_start, run = gid, [width]
        if run_start is not None:
            widths.extend([run_start, pydyf.Array(run)])
        cid_font = pydyf.Dictionary(
            {
                "Type": "/Font",
                "Subtype": "/CIDFontType2",
                "BaseFont": base,
                "CIDSystemInfo": pydyf.Dictionary(
                    {
                        "Registry": pydyf.String("Adobe"),
                        "Ordering": pydyf.String("Identity"),
                        "Supplement": 0,
                    }
                ),
                "FontDescriptor": descriptor.reference,
                "W": widths,
                "CIDToGIDMap": "/Identity",
            }
        )
        pdf.add_object(cid_font)
        to_unicode = _deflated(_to_unicode_cmap(metrics, chars))
        pdf.add_object(to_unicode)
        type0 = pydyf.Dictionary(
            {
                "Type": "/Font",
                "Subtype": "/Type0",
                "BaseFont": base,
                "Encoding": "/Identity-H",
                "DescendantFonts": pydyf.Array([cid_font.reference]),
                "ToUnicode": to_unicode.reference,
            }
        )
        pdf.add_object(type0)
        return type0.reference


def _deflated(data: bytes, extra: dict | None = None):
    """A FlateDecode stream (zlib level 6: pydyf's level 9 costs twice the time for 2 %)."""
    import zlib

    import pydyf

    return pydyf.Stream([zlib.compress(data, 6)], {**(extra or {}), "Filter": "/FlateDecode"})


def _to_unicode_cmap(metrics: _FontMetrics, chars: list[str]) -> bytes:
    pairs: dict[int, str] = {}
    for char in chars:
        pairs.setdefault(metrics.gid[char], char)
    entries = [
        f"<{gid:04x}> <{char.encode('utf-16-be').hex()}>" for gid, char in sorted(pairs.items())
    ]
    blocks = []
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


def _n(value: float) -> str:
    return f"{value:.2f}"


class TablePdf:
    """A landscape A4 document that is mostly one table: a title block on the first page,
    the column headers repeated on every page, rows that break across pages when they
    must, a few lines of text after the table, page numbers in the footer."""

    def __init__(
        self,
        *,
        title: str,
        subtitle: str,
        head: list[tuple[str, bool]],
        columns: list[tuple[list[str], float, str]],
        running_head: str,
        mark: str = "",
        page_label=lambda page, pages: f"{page} / {pages}",
    ):
        self.regular = _Font("regular", "F1")
        self.bold = _Font("bold", "F2")
        self.columns = columns
        self.edges = [MARGIN]
        for _titles, width, _align in columns:
            self.edges.append(self.edges[-1] + width)
        self.running_head = running_head
        self.mark = mark
        self.page_label = page_label
        self.pages: list[list[str]] = []
        self.rules: list[list[tuple[float, float, tuple[float, ...]]]] = []
        self.y = 0.0
        self._header_lines = [
            [line for title in titles for line in self.bold.wrap(title, FONT_SIZE, width - 2 * PAD)]
            for titles, width, _align in columns
        ]
        self._new_page()
        self._title(title, subtitle, head)
        self._table_header()

    # Pages and primitives

    @property
    def _bottom(self) -> float:
        return MARGIN + 10

    def _new_page(self) -> None:
        self.pages.append([])
        self.rules.append([])
        self.y = PAGE_HEIGHT - MARGIN
        ops = self.pages[-1]
        top = PAGE_HEIGHT - MARGIN + 8
        self._text(ops, self.regular, FOOTER_SIZE, MARGIN, top, self.running_head)
        if self.mark:
            width = self.bold.width(self.mark, HEAD_SIZE)
            ops.append("0.64 0.09 0.1 rg")
            self._text(ops, self.bold, HEAD_SIZE, PAGE_WIDTH - MARGIN - width, top, self.mark)
            ops.append("0 g")
        self.y -= 6

    def _text(self, ops: list[str], font: _Font, size: float, x: float, y: float, text: str):
        if text:
            ops.append(
                f"BT /{font.resource} {_n(size)} Tf 1 0 0 1 {_n(x)} {_n(y)} Tm "
                f"<{font.encode(text)}> Tj ET"
            )

    def _title(self, title: str, subtitle: str, head: list[tuple[str, bool]]) -> None:
        ops = self.pages[-1]
        self.y -= TITLE_SIZE
        self._text(ops, self.bold, TITLE_SIZE, MARGIN, self.y, title)
        self.y -= HEAD_SIZE + 5
        self._text(ops, self.regular, HEAD_SIZE + 0.5, MARGIN, self.y, subtitle)
        self.y -= 4
        width = self.edges[-1] - MARGIN
        for text, bold in head:
            font = self.bold if bold else self.regular
            for line in font.wrap(text, HEAD_SIZE, width):
                self.y -= HEAD_SIZE + 2
                self._text(ops, font, HEAD_SIZE, MARGIN, self.y, line)
        self.y -= 8

    def _table_header(self) -> None:
        ops = self.pages[-1]
        lines = max(len(cell) for cell in self._header_lines)
        height = lines * LEADING + 2 * PAD
        top = self.y
        box = f"{_n(MARGIN)} {_n(top - height)} {_n(self.edges[-1] - MARGIN)} {_n(height)}"
        ops.append(f"0.9 g {box} re f 0 g")
        for index, cell in enumerate(self._header_lines):
            baseline = top - PAD - FONT_SIZE
            for line in cell:
                self._text(ops, self.bold, FONT_SIZE, self.edges[index] + PAD, baseline, line)
                baseline -= LEADING
        self._rule(top, top - height, tuple(self.edges))
        self.y = top - height

    def _rule(self, top: float, bottom: float, edges: tuple[float, ...]) -> None:
        """A row's borders; consecutive rows with the same edges share their verticals."""
        rules = self.rules[-1]
        if rules and rules[-1][1] == top and rules[-1][2] == edges:
            rules[-1] = (rules[-1][0], bottom, edges, *rules[-1][3:], bottom)
        else:
            rules.append((top, bottom, edges, bottom))

    def _space_left(self) -> float:
        return self.y - self._bottom

    # Rows

    def row(self, cells: list[str]) -> None:
        wrapped = [
            self.regular.wrap(text, FONT_SIZE, width - 2 * PAD)
            for text, (_titles, width, _align) in zip(cells, self.columns, strict=True)
        ]
        self._place(wrapped, [align for _t, _w, align in self.columns], tuple(self.edges))

    def total_row(self, label: str, *, value_column: int, value: str, after: list[str]) -> None:
        """A row whose label spans the columns before `value_column`."""
        edges = (self.edges[0], *self.edges[value_column:])
        label_width = self.edges[value_column] - self.edges[0]
        cells = [self.bold.wrap(label, FONT_SIZE, label_width - 2 * PAD), [value]]
        cells += [[text] for text in after]
        cells += [[""] for _ in range(len(edges) - 1 - len(cells))]
        aligns = ["right", "right"] + ["left"] * (len(cells) - 2)
        self._place(cells, aligns, edges, font=self.bold)

    def _place(self, cells: list[list[str]], aligns, edges, *, font=None) -> None:
        font = font or self.regular
        remaining = cells
        while True:
            lines = max(len(cell) for cell in remaining)
            fits = int((self._space_left() - 2 * PAD) // LEADING)
            if lines <= fits:
                self._draw_row(remaining, aligns, edges, lines, font)
                return
            page_lines = int((PAGE_HEIGHT - 2 * MARGIN - 60) // LEADING)
            if lines <= page_lines or fits < 3:
                self._new_page()
                self._table_header()
                fits = int((self._space_left() - 2 * PAD) // LEADING)
                if lines <= fits:
                    continue
            # Taller than a page: as much as fits here, the rest on the next page.
            self._draw_row([cell[:fits] for cell in remaining], aligns, edges, fits, font)
            remaining = [cell[fits:] or [""] for cell in remaining]
            self._new_page()
            self._table_header()

    def _draw_row(self, cells, aligns, edges, lines: int, font: _Font) -> None:
        ops = self.pages[-1]
        top = self.y
        height = lines * LEADING + 2 * PAD
        for index, cell in enumerate(cells):
            left, right = edges[index], edges[index + 1]
            baseline = top - PAD - FONT_SIZE
            for line in cell:
                if aligns[index] == "right":
                    x = right - PAD - font.width(line, FONT_SIZE)
                else:
                    x = left + PAD
                self._text(ops, font, FONT_SIZE, x, baseline, line)
                baseline -= LEADING
        self._rule(top, top - height, edges)
        self.y = top - height

    # After the table

    def text(self, text: str) -> None:
        for line in self.regular.wrap(text, HEAD_SIZE, self.edges[-1] - MARGIN):
            if self._space_left() < HEAD_SIZE + 4:
                self._new_page()
            self.y -= HEAD_SIZE + 4
            self._text(self.pages[-1], self.regular, HEAD_SIZE, MARGIN, self.y, line)

    def signature(self, who: str, stamp: str) -> None:
        if self._space_left() < 50:
            self._new_page()
        ops = self.pages[-1]
        self.y -= 30
        ops.append(f"0.4 w {_n(MARGIN)} {_n(self.y)} m {_n(MARGIN + 300)} {_n(self.y)} l S")
        self._text(ops, self.regular, FOOTER_SIZE, MARGIN, self.y - 8, who)
        self._text(ops, self.regular, FOOTER_SIZE, MARGIN + 360, self.y - 8, stamp)
        self.y -= 12

    # Output

    def _rules_ops(self, rules) -> list[str]:
        ops = ["0.45 G 0.4 w"]
        for top, bottom, edges, *row_bottoms in rules:
            left, right = _n(edges[0]), _n(edges[-1])
            ops.append(f"{left} {_n(top)} m {right} {_n(top)} l")
            for y in row_bottoms:
                ops.append(f"{left} {_n(y)} m {right} {_n(y)} l")
            for x in edges:
                ops.append(f"{_n(x)} {_n(top)} m {_n(x)} {_n(bottom)} l")
        ops.append("S 0 G")
        return ops

    def build(self, *, title: str = "") -> bytes:
        import pydyf

        pages = len(self.pages)
        for number, ops in enumerate(self.pages, start=1):
            label = self.page_label(number, pages)
            width = self.regular.width(label, FOOTER_SIZE)
            self._text(
                ops, self.regular, FOOTER_SIZE, PAGE_WIDTH - MARGIN - width, MARGIN - 10, label
            )
        pdf = pydyf.PDF()
        pdf.info["Producer"] = pydyf.String("Compute Grant Portal")
        if title:
            pdf.info["Title"] = pydyf.String(title)
        fonts = pydyf.Dictionary(
            {font.resource: font.embed(pdf) for font in (self.regular, self.bold)}
        )
        resources = pydyf.Dictionary({"Font": fonts})
        pdf.add_object(resources)
        for ops, rules in zip(self.pages, self.rules, strict=True):
            body = "\n".join([*ops, *self._rules_ops(rules)]).encode("ascii")
            content = _deflated(body)
            pdf.add_object(content)
            pdf.add_page(
                pydyf.Dictionary(
                    {
                        "Type": "/Page",
                        "Parent": pdf.pages.reference,
                        "MediaBox": pydyf.Array([0, 0, PAGE_WIDTH, PAGE_HEIGHT]),
                        "Contents": content.reference,
                        "Resources": resources.reference,
                    }
                )
            )
        output = io.BytesIO()
        pdf.write(output, version=b"1.7", identifier=False, compress=True)
        return output.getvalue()
