"""The generated documents of an import case, and the service that stores them.

- The application letter (`application_letter_pdf`, A4, one language: "kk" or "ru"; "en"
  too): from the importer to the authority of the regime, asking it to confirm the
  preference for the equipment of the annex. WeasyPrint, templates/customs/pdf/. letter.py
- The equipment annex as PDF (`annex_pdf`, A4 landscape, "kk+ru" labels by default) and as
  XLSX (`annex_xlsx`: sheet "Annex" with one row per line, sheet "Serials" with one row per
  serial number, sheet "Case" with the case's particulars). annex.py
- The confirmation (`confirmation_pdf`, A4, "kk+ru"): registry number, importer, regime,
  equipment, validity, the verification code and a QR code of the public verification page.
  WeasyPrint. confirmation.py
- Rendering and storing what a case's state calls for (`generate_case_documents`, run by
  the Celery task): generation.py; who may download them: access.py.

What they share: the labels in one or two languages (labels.py), how numbers, dates and
countries are printed (formatting.py), the case's parties, lines and totals read once
(case_data.py), and for the two WeasyPrint documents the PDF rendering and the equipment
table (html_pdf.py).

Why the annex PDF is not WeasyPrint: measured on this machine, WeasyPrint lays out a
12-column table at about 50 rows a second (500 lines: 10 s, and a 5,000-line annex would
take minutes), because every cell is a Pango layout. The annex is a plain table, so it is
drawn by a small table writer (pdf_table.py, with its fonts in pdf_fonts.py; pydyf and
fontTools, both already installed with WeasyPrint): DejaVu Sans embedded as a subset with a
ToUnicode map (the text can be searched and copied, pdftotext reads it), header rows
repeated on every page, rows taller than a page split across pages. The workbook is written
directly too (openpyxl without lxml manages some 15,000 cells a second): xlsx_writer.py. A
5,000-line annex with 40,000 serial numbers takes a second or two as PDF and XLSX together
(benchmarks/bench_customs_annex.py).

Output is deterministic (no dates or random ids in the files): the same case gives the same
bytes, so `generate_case_documents` can tell by the SHA-256 whether a document changed.

Numbers are printed with digits grouped by no-break spaces and a decimal comma; HS codes
as the EAEU nomenclature writes them ("8471 50 000 0"); dates as dd.mm.yyyy.

Callers import from this package (`from allocations.customs import documents`), not from
its modules, so that the cut between the modules can change without touching them.
"""

from allocations.customs.documents.access import (
    PDF,
    XLSX,
    case_for_documents,
    content_type_of,
    document_for_user,
)
from allocations.customs.documents.annex import ANNEX_COLUMNS, annex_pdf, annex_xlsx
from allocations.customs.documents.case_data import (
    LISTED_LINES_LIMIT,
    AnnexLine,
    CaseData,
    PartyData,
    SummaryRow,
    case_data,
    importer_of,
)
from allocations.customs.documents.confirmation import (
    confirmation_context,
    confirmation_pdf,
    qr_data_uri,
    verification_url,
)
from allocations.customs.documents.formatting import (
    country_name,
    country_text,
    dmy,
    group_number,
    money,
    quantity_text,
)
from allocations.customs.documents.generation import (
    APPROVED_STATES,
    SUBMITTED_STATES,
    document_filename,
    generate_case_documents,
)
from allocations.customs.documents.html_pdf import equipment_context
from allocations.customs.documents.labels import (
    BILINGUAL,
    LABELS,
    LANGUAGE_SETS,
    Label,
    label_with,
    labels,
    languages_of,
)
from allocations.customs.documents.letter import (
    LETTER_LANGUAGES,
    application_letter_pdf,
    letter_context,
)

# The tests measure line wrapping on the annex's font; it kept its private name when the
# module became a package.
from allocations.customs.documents.pdf_fonts import _Font
from allocations.customs.documents.pdf_table import TablePdf
from allocations.customs.documents.xlsx_writer import XlsxSheet, xlsx_workbook

__all__ = [
    "ANNEX_COLUMNS",
    "APPROVED_STATES",
    "BILINGUAL",
    "LABELS",
    "LANGUAGE_SETS",
    "LETTER_LANGUAGES",
    "LISTED_LINES_LIMIT",
    "PDF",
    "SUBMITTED_STATES",
    "XLSX",
    "AnnexLine",
    "CaseData",
    "Label",
    "PartyData",
    "SummaryRow",
    "TablePdf",
    "XlsxSheet",
    "_Font",
    "annex_pdf",
    "annex_xlsx",
    "application_letter_pdf",
    "case_data",
    "case_for_documents",
    "confirmation_context",
    "confirmation_pdf",
    "content_type_of",
    "country_name",
    "country_text",
    "dmy",
    "document_filename",
    "document_for_user",
    "equipment_context",
    "generate_case_documents",
    "group_number",
    "importer_of",
    "label_with",
    "labels",
    "languages_of",
    "letter_context",
    "money",
    "qr_data_uri",
    "quantity_text",
    "verification_url",
    "xlsx_workbook",
]
