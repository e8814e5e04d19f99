"""The application letter: from the importer to the authority of the regime, asking it to
confirm the preference for the equipment of the annex. A4, one language; WeasyPrint,
templates/customs/pdf/application_letter.html."""

from __future__ import annotations

from django.utils import timezone, translation

from allocations.customs.documents.case_data import DRAFT_STATES, CaseData, case_data, load_case
from allocations.customs.documents.formatting import country_name, dmy, local_date, regime_name
from allocations.customs.documents.html_pdf import equipment_context, render_pdf
from allocations.customs.models import ImportCase

LETTER_TEMPLATE = "customs/pdf/application_letter.html"
LETTER_LANGUAGES = ("kk", "ru", "en")


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
        "dispatch_country": country_name(case.dispatch_country, language)
        if case.dispatch_country
        else "",
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
    case = load_case(case)
    context = letter_context(case_data(case), language=language)
    return render_pdf(LETTER_TEMPLATE, context, language=language)
