"""Reading serial numbers from what importers paste or upload (CSV or XLSX).

Only parsing lives here: each source becomes a list of rows (the row number as the
importer sees it, the raw serial, the raw line no. if the file has a line column). The
service checks the rows against the case and the other cases and saves all or nothing.

A file may have a heading row: a column headed "Serial" (or "Serial number", "S/N",
"Серийный номер", …) holds the serials and an optional column headed "Line" (or "No.",
"Position", "№", …) the line no. of the case. Without a heading row, the first column
holds the serials.
"""

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# More rows than any shipment has; keeps a hostile file from tying up a worker.
MAX_ROWS = 20_000
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE documents)
_SEPARATORS = re.compile(r"[,;\t]")

SERIAL_HEADINGS = frozenset(
    {
        "serial",
        "serials",
        "serialno",
        "serialnumber",
        "serialnumbers",
        "sn",
        "s/n",
        "серийныйномер",
        "заводскойномер",
        "сериялықнөмір",
        "зауыттықнөмір",
    }
)
LINE_HEADINGS = frozenset(
    {
        "line",
        "lineno",
        "linenumber",
        "position",
        "pos",
        "no",
        "item",
        "itemno",
        "строка",
        "позиция",
        "номерстроки",
        "noстроки",
        "жол",
        "жолнөмірі",
    }
)


@dataclass(frozen=True)
class SerialRow:
    """One row of the source: `row` counts from 1 as a spreadsheet does."""

    row: int
    serial: str
    line: str = ""


@dataclass(frozen=True)
class ParsedSerials:
    rows: list[SerialRow]
    has_line_column: bool


def _heading(value: str) -> str:
    text = value.strip().lower().replace("№", "no")
    return re.sub(r"[\s._\-:#]+", "", text)


def _cell(value) -> str:
    """A spreadsheet cell as text: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _from_table(table) -> ParsedSerials:
    """Rows of cells (lists of strings) → serial rows, reading the heading row if any."""
    rows: list[SerialRow] = []
    serial_col, line_col, first = 0, None, True
    for number, cells in enumerate(table, start=1):
        if number > MAX_ROWS + 1:
            raise ValidationError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        cells = [_cell(value) for value in cells]
        if first and any(cells):
            first = False
            headings = [_heading(value) for value in cells]
            serial_at = [i for i, h in enumerate(headings) if h in SERIAL_HEADINGS]
            if serial_at:
                serial_col = serial_at[0]
                line_at = [i for i, h in enumerate(headings) if h in LINE_HEADINGS]
                line_col = line_at[0] if line_at else None
                continue
        serial = cells[serial_col] if serial_col < len(cells) else ""
        line = cells[line_col] if line_col is not None and line_col < len(cells) else ""
        if serial or line:
            rows.append(SerialRow(row=number, serial=serial, line=line))
    return ParsedSerials(rows=rows, has_line_column=line_col is not None)


def rows_from_text(text: str) -> ParsedSerials:
    """Pasted serials: one per line, or several separated by commas, semicolons or tabs."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        for part in _SEPARATORS.split(line):
            if part.strip():
                rows.append(SerialRow(row=number, serial=part.strip()))
        if len(rows) > MAX_ROWS:
            raise ValidationError(
                _("Paste at most %(max)s serial numbers at once.") % {"max": MAX_ROWS}
            )
    return ParsedSerials(rows=rows, has_line_column=False)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise ValidationError(_("This file is not a CSV text file."))
    for encoding in ("utf-8-sig", "cp1251"):  # Excel in Russian saves CSV as Windows-1251
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("This CSV file's text encoding is not UTF-8; save it as UTF-8."))


def _csv_rows(data: bytes) -> ParsedSerials:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _from_table(csv.reader(io.StringIO(text), dialect))
    except csv.Error as broken:
        raise ValidationError(
            _("This CSV file could not be read (%(error)s).") % {"error": broken}
        ) from broken


def _xlsx_rows(data: bytes) -> ParsedSerials:
    from openpyxl import load_workbook

    if not data.startswith(XLSX_MAGIC):
        raise ValidationError(_("This file is not an Excel workbook (.xlsx)."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as broken:
        raise ValidationError(
            _("This file could not be read as an Excel workbook (.xlsx).")
        ) from broken
    try:
        if not workbook.worksheets:
            return ParsedSerials(rows=[], has_line_column=False)
        sheet = workbook.worksheets[0]
        return _from_table(sheet.iter_rows(values_only=True))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as broken:
        raise ValidationError(
            _("This file could not be read as an Excel workbook (.xlsx).")
        ) from broken
    finally:
        workbook.close()


def rows_from_upload(upload) -> ParsedSerials:
    """A .csv or .xlsx upload → rows. Raises ValidationError with a message for the form."""
    name = os.path.basename(upload.name or "").lower()
    limit = settings.PORTAL_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; it may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if name.endswith(".xls") or data.startswith(OLE_MAGIC):
        raise ValidationError(
            _("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV.")
        )
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith((".csv", ".txt")):
        if data.startswith(XLSX_MAGIC):
            raise ValidationError(_("This file is a workbook: name it .xlsx, or save it as CSV."))
        return _csv_rows(data)
    raise ValidationError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))
