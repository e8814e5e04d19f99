"""A small XLSX writer, for the equipment annex.

openpyxl writes about 15,000 cells a second without lxml (not installed here): 8-10 s
for a 5,000-line annex with 40,000 serial numbers. The workbook is three plain sheets,
so it is written directly: inline strings, four cell styles, fixed zip timestamps (the
same case gives the same bytes). openpyxl reads it back in the tests.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

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
