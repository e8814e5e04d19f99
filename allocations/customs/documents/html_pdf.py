"""What the documents laid out by WeasyPrint share (the application letter and the
confirmation): rendering a template to PDF, and the equipment table they both print
(customs/pdf/_equipment.html)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from allocations.customs.documents.case_data import CaseData
from allocations.customs.documents.formatting import money, quantity_text
from allocations.customs.documents.labels import label_with, labels, unit_label


def render_pdf(template: str, context: dict, *, language: str) -> bytes:
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


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
