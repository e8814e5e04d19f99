"""The fonts of the table PDF writer (pdf_table.py): DejaVu Sans measured with fontTools,
its text encoded as glyph ids, embedded as a subset with a ToUnicode map so that the text
can be searched and copied (pdftotext reads it)."""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
from functools import lru_cache
from pathlib import Path

# fontTools reports every step of subsetting a font at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

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

        font_file = deflated(data, {"Length1": len(data)})
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
        to_unicode = deflated(_to_unicode_cmap(metrics, chars))
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


def deflated(data: bytes, extra: dict | None = None):
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
