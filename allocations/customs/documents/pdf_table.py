"""A fast table PDF writer (pydyf), for the equipment annex: landscape A4, column headers
repeated on every page, rows taller than a page split across pages.

WeasyPrint lays out a 12-column table at about 50 rows a second (every cell is a Pango
layout), so a 5,000-line annex would take minutes; this writer draws it in about a second.
"""

from __future__ import annotations

import io

from allocations.customs.documents.pdf_fonts import _Font, deflated

PAGE_WIDTH, PAGE_HEIGHT = 841.89, 595.28  # A4 landscape, points
MARGIN = 28.0
FONT_SIZE = 6.5
LEADING = 7.6
PAD = 2.0
HEAD_SIZE = 7.5
TITLE_SIZE = 12.0
FOOTER_SIZE = 6.5


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
            content = deflated(body)
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
