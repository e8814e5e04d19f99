"""The equipment annex: every line of the case with its serial numbers, as PDF (A4
landscape, drawn by the table writer of pdf_table.py) and as XLSX (written by
xlsx_writer.py). Labels in Kazakh and Russian by default."""

from __future__ import annotations

from allocations.customs.documents.case_data import DRAFT_STATES, CaseData, case_data, load_case
from allocations.customs.documents.formatting import (
    country_name,
    country_text,
    dmy,
    money,
    quantity_text,
    regime_name,
)
from allocations.customs.documents.labels import (
    BILINGUAL,
    LANGUAGE_SETS,
    Label,
    label_with,
    labels,
    languages_of,
    unit_label,
)
from allocations.customs.documents.pdf_table import TablePdf
from allocations.customs.documents.xlsx_writer import XlsxSheet, xlsx_workbook
from allocations.customs.models import ImportCase

# Excel refuses cells longer than this.
XLSX_CELL_LIMIT = 32_767

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
    case = load_case(case)
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
    case = load_case(case)
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
