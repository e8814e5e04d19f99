"""Printed billing documents as A4 PDFs (WeasyPrint): the invoice for payment, the act of
services rendered and the credit note.

Language: Kazakh and Russian side by side by default (every label is "Kazakh / Russian",
the seller's name and address are printed in both), English when the invoice says so
(`invoice.language == "en"`). Each label is translated once per language with
`translation.override`, so the catalogues decide the wording (msgids are English).

Parties: an issued invoice prints the copies of seller and customer it took when it was
issued (`invoice.seller`, `invoice.customer`); a draft prints the live seller profile and
organisation and is marked DRAFT: it is a preview, not a document.

Numbers: quantities with 6 decimals, prices and amounts with 2, digits grouped with a
no-break space; the decimal separator is a comma in Kazakh and Russian, a point in English.

The templates are templates/billing/pdf/*.html (DejaVu Sans covers Kazakh and Russian);
the invoice page's HTML preview uses `document_context` too, so it shows the same data.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_noop

from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
    SellerProfile,
)

INVOICE_TEMPLATE = "billing/pdf/invoice.html"
ACT_TEMPLATE = "billing/pdf/act.html"
CREDIT_NOTE_TEMPLATE = "billing/pdf/credit_note.html"

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


class Text:
    """One label in every language of the document, printed "Kazakh / Russian"."""

    def __init__(self, parts: list[tuple[str, str]]):
        # A text that reads the same in both languages is printed once.
        distinct: dict[str, str] = {}
        for language, text in parts:
            distinct.setdefault(text, language)
        self.parts = [(language, text) for text, language in distinct.items()]

    def __str__(self) -> str:
        return " / ".join(text for _lang, text in self.parts)

    def __html__(self) -> str:
        return self._join(" / ")

    @property
    def stacked(self) -> SafeString:
        """One language per line (table headers)."""
        return self._join("<br>")

    def _join(self, separator: str) -> SafeString:
        spans = format_html_join(
            mark_safe(separator),  # noqa: S308  (a constant of this module)
            '<span lang="{}">{}</span>',
            self.parts,
        )
        return spans


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


# --- Parties -----------------------------------------------------------------------------

SELLER_FIELDS = (
    "name_kk",
    "name_ru",
    "name_en",
    "bin",
    "address_kk",
    "address_ru",
    "address_en",
    "iik",
    "bik",
    "bank_name",
    "kbe",
    "vat_certificate",
    "director",
    "accountant",
    "payment_days",
)


def live_seller() -> dict:
    profile = SellerProfile.objects.order_by("pk").first()
    return model_to_dict(profile, fields=SELLER_FIELDS) if profile else {}


def live_customer(organisation) -> dict:
    return {
        "legal_name": organisation.legal_name,
        "bin": organisation.bin or "",
        "address": organisation.address,
        "country": organisation.country,
        "category": organisation.category,
    }


def parties(invoice: Invoice) -> tuple[dict, dict]:
    """Seller and customer as printed: the copies taken at issue, live data for drafts
    (or for an issued invoice that has no copy, which only old data can have)."""
    draft = invoice.state == InvoiceState.DRAFT
    seller = dict(invoice.seller) if invoice.seller and not draft else live_seller()
    customer = (
        dict(invoice.customer)
        if invoice.customer and not draft
        else live_customer(invoice.organisation)
    )
    customer.setdefault("legal_name", customer.get("name", ""))
    return seller, customer


@dataclass
class PartyView:
    """A party as printed: names and addresses per language, bank details once."""

    names: list[tuple[str, str]]
    addresses: list[tuple[str, str]]
    bin: str = ""
    iik: str = ""
    bik: str = ""
    bank: str = ""
    kbe: str = ""
    vat_certificate: str = ""
    director: str = ""
    accountant: str = ""
    country: str = "KZ"

    @property
    def name(self) -> SafeString:
        return _distinct_join(self.names)

    @property
    def address(self) -> SafeString:
        return _distinct_join(self.addresses)


def _distinct_join(parts: list[tuple[str, str]]) -> SafeString:
    """Both languages, once when they are the same text."""
    seen: dict[str, str] = {}
    for language, text in parts:
        if text and text not in seen:
            seen[text] = language
    return format_html_join(
        mark_safe(" / "), '<span lang="{}">{}</span>', ((lang, t) for t, lang in seen.items())
    )


def seller_view(seller: dict, languages: tuple[str, ...]) -> PartyView:
    def per_language(prefix: str) -> list[tuple[str, str]]:
        fallback = seller.get(f"{prefix}_ru") or seller.get(f"{prefix}_kk") or ""
        return [(lang, seller.get(f"{prefix}_{lang}") or fallback) for lang in languages]

    return PartyView(
        names=per_language("name"),
        addresses=per_language("address"),
        bin=seller.get("bin", ""),
        iik=seller.get("iik", ""),
        bik=seller.get("bik", ""),
        bank=seller.get("bank_name", "") or seller.get("bank", ""),
        kbe=seller.get("kbe", ""),
        vat_certificate=seller.get("vat_certificate", ""),
        director=seller.get("director", ""),
        accountant=seller.get("accountant", ""),
    )


def customer_view(customer: dict, languages: tuple[str, ...]) -> PartyView:
    name = customer.get("legal_name", "")
    address = customer.get("address", "")
    return PartyView(
        names=[(languages[0], name)],
        addresses=[(languages[0], address)],
        bin=customer.get("bin") or "",
        iik=customer.get("iik", ""),
        bik=customer.get("bik", ""),
        bank=customer.get("bank_name", "") or customer.get("bank", ""),
        kbe=customer.get("kbe", ""),
        country=customer.get("country") or "KZ",
    )


# --- Lines -------------------------------------------------------------------------------


@dataclass
class LineView:
    position: int
    description: str
    period: str
    account: str
    quantity: str
    unit_price: str
    net: str
    vat_rate: str
    vat: str
    gross: str


@dataclass
class DocumentContext:
    """Everything a document prints; the HTML preview renders the same object."""

    languages: tuple[str, ...]
    t: dict[str, Text]
    title: Text
    number: str
    date: str
    turnover_date: str
    period: str
    due_date: str
    seller: PartyView
    customer: PartyView
    lines: list[LineView]
    net_total: str
    vat_total: str
    gross_total: str
    is_draft: bool
    is_cancelled: bool
    basis: str
    currency: str = "KZT"
    extra: dict = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.languages[0]


def _separator(languages: tuple[str, ...]) -> str:
    return "." if languages == ("en",) else ","


def _invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    cache = getattr(invoice, "_prefetched_objects_cache", {})
    if "lines" in cache:
        return sorted(cache["lines"], key=lambda line: line.position)
    return list(invoice.lines.select_related("allocation").order_by("position"))


def _basis(lines: list[InvoiceLine]) -> str:
    """The allocations invoiced: their Slurm accounts and application references."""
    from allocations.applications.models import Application

    seen: dict[str, None] = {}
    for line in lines:
        allocation = line.allocation
        if allocation is not None:
            reference = Application(pk=allocation.application_id).reference
            seen[f"{reference} ({allocation.slurm_account})"] = None
    return ", ".join(seen)


def line_view(line, *, sep: str, month: tuple[date, date], credit: bool = False) -> LineView:
    """An invoice line, or a credit note line (printed with its invoice line's data; its
    GPU-hours are shown negative, like its amounts). The line's period is printed when it
    is not the whole month (a tariff change splits a month)."""
    invoice_line = getattr(line, "invoice_line", line)
    allocation = invoice_line.allocation
    whole_month = (invoice_line.period_start, invoice_line.period_end) == month
    return LineView(
        position=invoice_line.position,
        description=invoice_line.description,
        period=""
        if whole_month
        else period_text(invoice_line.period_start, invoice_line.period_end),
        account=allocation.slurm_account if allocation is not None else "",
        quantity=number(-abs(line.quantity) if credit else line.quantity, 6, decimal_separator=sep),
        unit_price=number(invoice_line.unit_price, 2, decimal_separator=sep),
        net=number(line.net_amount, 2, decimal_separator=sep),
        vat_rate=percent(line.vat_rate),
        vat=number(line.vat_amount, 2, decimal_separator=sep),
        gross=number(line.gross_amount, 2, decimal_separator=sep),
    )


def document_context(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE, kind="invoice"):
    """What the invoice (kind="invoice") or the act (kind="act") prints."""
    languages = document_languages(invoice, language)
    t = texts(languages)
    sep = _separator(languages)
    seller, customer = parties(invoice)
    lines = _invoice_lines(invoice)
    month = (invoice.period_start, invoice.period_end)
    is_draft = invoice.state == InvoiceState.DRAFT
    return DocumentContext(
        languages=languages,
        t=t,
        title=t["act"] if kind == "act" else t["invoice"],
        number=invoice.number or "",
        date=dmy(invoice.turnover_date if kind == "act" else invoice.issue_date),
        turnover_date=dmy(invoice.turnover_date),
        period=period_text(invoice.period_start, invoice.period_end),
        due_date=dmy(invoice.due_date),
        seller=seller_view(seller, languages),
        customer=customer_view(customer, languages),
        lines=[line_view(line, sep=sep, month=month) for line in lines],
        net_total=number(invoice.net_total, 2, decimal_separator=sep),
        vat_total=number(invoice.vat_total, 2, decimal_separator=sep),
        gross_total=number(invoice.gross_total, 2, decimal_separator=sep),
        is_draft=is_draft,
        is_cancelled=invoice.state == InvoiceState.CANCELLED,
        basis=_basis(lines),
        currency=invoice.currency,
    )


def credit_note_context(credit_note: CreditNote, *, language: str = DEFAULT_LANGUAGE):
    invoice = credit_note.invoice
    languages = document_languages(invoice, language)
    t = texts(languages)
    sep = _separator(languages)
    seller, customer = parties(invoice)
    lines = list(
        CreditNoteLine.objects.filter(credit_note=credit_note)
        .select_related("invoice_line__allocation")
        .order_by("invoice_line__position", "pk")
    )
    month = (invoice.period_start, invoice.period_end)
    return DocumentContext(
        languages=languages,
        t=t,
        title=t["credit_note"],
        number=credit_note.number,
        date=dmy(credit_note.issue_date),
        turnover_date=dmy(invoice.turnover_date),
        period=period_text(invoice.period_start, invoice.period_end),
        due_date="",
        seller=seller_view(seller, languages),
        customer=customer_view(customer, languages),
        lines=[line_view(line, sep=sep, month=month, credit=True) for line in lines],
        net_total=number(credit_note.net_total, 2, decimal_separator=sep),
        vat_total=number(credit_note.vat_total, 2, decimal_separator=sep),
        gross_total=number(credit_note.gross_total, 2, decimal_separator=sep),
        is_draft=False,
        is_cancelled=False,
        basis=_basis([line.invoice_line for line in lines]),
        currency=invoice.currency,
        extra={
            "invoice_number": invoice.number or "",
            "invoice_date": dmy(invoice.issue_date),
            "reason": credit_note.reason,
        },
    )


# --- Rendering ---------------------------------------------------------------------------


def _pdf(template: str, doc: DocumentContext) -> bytes:
    from weasyprint import HTML

    # The page itself is rendered in the first language (lang attribute, fallbacks).
    with translation.override(doc.lang):
        html = render_to_string(template, {"doc": doc, "t": doc.t})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The invoice for payment. Drafts are previews marked DRAFT.

    `language`: "kk+ru" (the default: bilingual, or English when the invoice's language
    is "en"), "en", "kk" or "ru" (an explicit choice)."""
    return _pdf(INVOICE_TEMPLATE, document_context(invoice, language=language))


def act_pdf(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The act of services rendered, dated on the turnover date (the month's last day)."""
    return _pdf(ACT_TEMPLATE, document_context(invoice, language=language, kind="act"))


def credit_note_pdf(credit_note: CreditNote, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    return _pdf(CREDIT_NOTE_TEMPLATE, credit_note_context(credit_note, language=language))


def file_stem(number: str) -> str:
    """A document number made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", number).strip("-") or "document"


def _store(instance, field_name: str, filename: str, render) -> bool:
    """Render and save into an empty FileField; False when a file is already there.

    The UPDATE is conditional on the column still being empty, so two workers storing at
    once keep one file (the loser's copy is deleted) and nothing else of the row changes.
    """
    model = type(instance)
    current = model.objects.filter(pk=instance.pk).values_list(field_name, flat=True).first()
    if current:
        return False
    file_field = getattr(instance, field_name)
    file_field.save(filename, ContentFile(render()), save=False)
    updated = model.objects.filter(pk=instance.pk, **{field_name: ""}).update(
        **{field_name: file_field.name}
    )
    if not updated:
        file_field.storage.delete(file_field.name)
    return bool(updated)


def store_invoice_documents(*, invoice_id: int) -> Invoice | None:
    """Render and store the invoice and act PDFs of an issued invoice, each only once.

    Drafts are never stored (their PDF is a preview made on request). Safe to run twice.
    """
    invoice = (
        Invoice.objects.select_related("organisation")
        .prefetch_related("lines__allocation")
        .filter(pk=invoice_id)
        .exclude(state=InvoiceState.DRAFT)
        .first()
    )
    if invoice is None:
        return None
    stem = file_stem(invoice.number or f"invoice-{invoice.pk}")
    _store(invoice, "invoice_pdf", f"{stem}-invoice.pdf", lambda: invoice_pdf(invoice))
    _store(invoice, "act_pdf", f"{stem}-act.pdf", lambda: act_pdf(invoice))
    invoice.refresh_from_db(fields=["invoice_pdf", "act_pdf"])
    return invoice


def store_credit_note_document(*, credit_note_id: int) -> CreditNote | None:
    """Render and store a credit note's PDF once. Safe to run twice."""
    credit_note = (
        CreditNote.objects.select_related("invoice__organisation").filter(pk=credit_note_id).first()
    )
    if credit_note is None:
        return None
    name = f"{file_stem(credit_note.number)}.pdf"
    _store(credit_note, "pdf", name, lambda: credit_note_pdf(credit_note))
    credit_note.refresh_from_db(fields=["pdf"])
    return credit_note
