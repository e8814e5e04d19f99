"""How billing documents print text: the languages of a document, every label translated
into each of them, and numbers and dates in the printed form.

Each label is translated once per language with `translation.override`, so the catalogues
decide the wording (msgids are English). Numbers: digits grouped with a no-break space;
the decimal separator is a comma in Kazakh and Russian, a point in English.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_noop

from allocations.billing.models import Invoice

# Print languages: the value of Invoice.language (or an explicit choice) → the columns.
LANGUAGE_SETS: dict[str, tuple[str, ...]] = {
    "kk+ru": ("kk", "ru"),
    "en": ("en",),
    "kk": ("kk",),
    "ru": ("ru",),
}
DEFAULT_LANGUAGE = "kk+ru"
NBSP = "\u00a0"

# Every label a document prints, by key. English msgids; the catalogues translate them.
LABELS: dict[str, str] = {
    "invoice": gettext_noop("Invoice for payment"),
    "act": gettext_noop("Act of services rendered"),
    "credit_note": gettext_noop("Credit note"),
    "number": gettext_noop("Number"),
    "date": gettext_noop("Date"),
    "turnover_date": gettext_noop("Turnover date"),
    "period": gettext_noop("Period"),
    "due_date": gettext_noop("Pay by"),
    "seller": gettext_noop("Seller"),
    "buyer": gettext_noop("Buyer"),
    "contractor": gettext_noop("Contractor"),
    "customer": gettext_noop("Customer"),
    "bin": gettext_noop("BIN"),
    "address": gettext_noop("Address"),
    "iik": gettext_noop("Account (IIK)"),
    "bik": gettext_noop("Bank code (BIK)"),
    "bank": gettext_noop("Bank"),
    "kbe": gettext_noop("Beneficiary code (KBe)"),
    "vat_certificate": gettext_noop("VAT registration"),
    "basis": gettext_noop("Basis"),
    "currency": gettext_noop("Currency"),
    "tenge": gettext_noop("Kazakhstani tenge (KZT)"),
    "col_no": gettext_noop("No."),
    "col_description": gettext_noop("Description"),
    "col_unit": gettext_noop("Unit"),
    "col_quantity": gettext_noop("Quantity"),
    "col_price": gettext_noop("Price without VAT"),
    "col_net": gettext_noop("Amount without VAT"),
    "col_vat_rate": gettext_noop("VAT rate"),
    "col_vat": gettext_noop("VAT amount"),
    "col_gross": gettext_noop("Amount with VAT"),
    "unit_gpu_hour": gettext_noop("GPU-hour"),
    "total_net": gettext_noop("Total without VAT"),
    "total_vat": gettext_noop("Total VAT"),
    "total_gross": gettext_noop("Total with VAT"),
    "director": gettext_noop("Director"),
    "accountant": gettext_noop("Chief accountant"),
    "customer_representative": gettext_noop("Customer's representative"),
    "signature": gettext_noop("signature"),
    "stamp": gettext_noop("Place of the seal"),
    "draft": gettext_noop("DRAFT: a preview, not a valid document"),
    "watermark": gettext_noop("DRAFT"),
    "not_numbered": gettext_noop("not numbered yet"),
    "cancelled": gettext_noop("CANCELLED"),
    "none": gettext_noop("none (non-resident)"),
    "reason": gettext_noop("Reason"),
    "corrects": gettext_noop("Corrects the invoice"),
    "payment_note": gettext_noop(
        "Please quote the invoice number in the purpose of payment. The amounts are in "
        "tenge; VAT is computed per line and rounded half up."
    ),
    "act_statement": gettext_noop(
        "The services listed above were rendered in full and on time. The customer has no "
        "claims as to their scope, quality or timing."
    ),
    "credit_statement": gettext_noop(
        "The amounts of the invoice are reduced by the amounts below (negative amounts)."
    ),
    "compute_services": gettext_noop("GPU computing services on the national supercomputer"),
}


def distinct_texts(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(language, text) pairs with each non-empty text once, under its first language:
    a text that reads the same in both languages is printed once."""
    first_language: dict[str, str] = {}
    for language, text in parts:
        if text:
            first_language.setdefault(text, language)
    return [(language, text) for text, language in first_language.items()]


def language_spans(parts: list[tuple[str, str]], separator: str) -> SafeString:
    return format_html_join(
        mark_safe(separator),  # noqa: S308  (a constant of this module's callers)
        '<span lang="{}">{}</span>',
        parts,
    )


class Text:
    """One label in every language of the document, printed "Kazakh / Russian"."""

    def __init__(self, parts: list[tuple[str, str]]):
        self.parts = distinct_texts(parts)

    def __str__(self) -> str:
        return " / ".join(text for _lang, text in self.parts)

    def __html__(self) -> str:
        return language_spans(self.parts, " / ")

    @property
    def stacked(self) -> SafeString:
        """One language per line (table headers)."""
        return language_spans(self.parts, "<br>")


def texts(languages: tuple[str, ...]) -> dict[str, Text]:
    """Every label translated into each language of the document."""
    translated: dict[str, list[tuple[str, str]]] = {key: [] for key in LABELS}
    for language in languages:
        with translation.override(language):
            for key, msgid in LABELS.items():
                translated[key].append((language, translation.gettext(msgid)))
    return {key: Text(parts) for key, parts in translated.items()}


def document_languages(invoice: Invoice, language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The default ("kk+ru") follows the invoice: English invoices print in English."""
    if language == DEFAULT_LANGUAGE and invoice.language == "en":
        language = "en"
    return LANGUAGE_SETS.get(language, LANGUAGE_SETS[DEFAULT_LANGUAGE])


def decimal_separator(languages: tuple[str, ...]) -> str:
    return "." if languages == ("en",) else ","


# --- Numbers and dates -------------------------------------------------------------------


def number(value, places: int, *, decimal_separator: str = ",") -> str:
    """Decimal("1234567.5") → "1 234 567,50" (no-break spaces), rounded half up."""
    if value is None:
        return ""
    value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{grouped}{decimal_separator}{fraction}" if places else f"{sign}{grouped}"


def money(value, separator: str) -> str:
    """Prices and amounts: 2 decimals."""
    return number(value, 2, decimal_separator=separator)


def percent(rate) -> str:
    """Decimal("0.1600") → "16 %" (no-break space); "12.5 %" where needed."""
    value = (Decimal(rate) * 100).normalize()
    text = f"{value:f}"
    return f"{text}{NBSP}%"


def dmy(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def period_text(start: date, end_exclusive: date) -> str:
    """Half-open [start, end) printed as the inclusive "01.03.2026 – 31.03.2026"."""
    return f"{dmy(start)} – {dmy(end_exclusive - timedelta(days=1))}"
