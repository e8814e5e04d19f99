"""What a billing document prints, as plain data (`DocumentContext`): the parties, the
lines and the totals of an invoice, its act or a credit note. The PDF templates and the
invoice page's HTML preview render the same object, so both show the same data.

Parties: an issued invoice prints the copies of seller and customer it took when it was
issued (`invoice.seller`, `invoice.customer`); a draft prints the live seller profile and
organisation and is marked DRAFT: it is a preview, not a document.

Quantities are printed with 6 decimals, prices and amounts with 2.
"""

from dataclasses import dataclass, field
from datetime import date

from django.forms.models import model_to_dict
from django.utils.safestring import SafeString

from allocations.billing.document_text import (
    DEFAULT_LANGUAGE,
    Text,
    decimal_separator,
    distinct_texts,
    dmy,
    document_languages,
    language_spans,
    money,
    number,
    percent,
    period_text,
    texts,
)
from allocations.billing.models import (
    SELLER_FIELDS,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
    SellerProfile,
)

# --- Parties -----------------------------------------------------------------------------


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
        return language_spans(distinct_texts(self.names), " / ")

    @property
    def address(self) -> SafeString:
        return language_spans(distinct_texts(self.addresses), " / ")


def _bank_details(party: dict) -> dict:
    # Copies are free-form JSON: the bank is read under either key, as the ESF export does.
    return {
        "iik": party.get("iik", ""),
        "bik": party.get("bik", ""),
        "bank": party.get("bank_name", "") or party.get("bank", ""),
        "kbe": party.get("kbe", ""),
    }


def seller_view(seller: dict, languages: tuple[str, ...]) -> PartyView:
    def per_language(prefix: str) -> list[tuple[str, str]]:
        fallback = seller.get(f"{prefix}_ru") or seller.get(f"{prefix}_kk") or ""
        return [(lang, seller.get(f"{prefix}_{lang}") or fallback) for lang in languages]

    return PartyView(
        names=per_language("name"),
        addresses=per_language("address"),
        bin=seller.get("bin", ""),
        **_bank_details(seller),
        vat_certificate=seller.get("vat_certificate", ""),
        director=seller.get("director", ""),
        accountant=seller.get("accountant", ""),
    )


def customer_view(customer: dict, languages: tuple[str, ...]) -> PartyView:
    # The customer's name and address exist in one language only.
    return PartyView(
        names=[(languages[0], customer.get("legal_name", ""))],
        addresses=[(languages[0], customer.get("address", ""))],
        bin=customer.get("bin") or "",
        **_bank_details(customer),
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
        unit_price=money(invoice_line.unit_price, sep),
        net=money(line.net_amount, sep),
        vat_rate=percent(line.vat_rate),
        vat=money(line.vat_amount, sep),
        gross=money(line.gross_amount, sep),
    )


# --- Documents ---------------------------------------------------------------------------


def _of_invoice(invoice: Invoice, language: str) -> dict:
    """The fields an invoice, its act and its credit notes print alike."""
    languages = document_languages(invoice, language)
    seller, customer = parties(invoice)
    return {
        "languages": languages,
        "t": texts(languages),
        "turnover_date": dmy(invoice.turnover_date),
        "period": period_text(invoice.period_start, invoice.period_end),
        "seller": seller_view(seller, languages),
        "customer": customer_view(customer, languages),
        "currency": invoice.currency,
    }


def _totals(document: Invoice | CreditNote, sep: str) -> dict:
    return {
        "net_total": money(document.net_total, sep),
        "vat_total": money(document.vat_total, sep),
        "gross_total": money(document.gross_total, sep),
    }


def document_context(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE, kind="invoice"):
    """What the invoice (kind="invoice") or the act (kind="act") prints."""
    shared = _of_invoice(invoice, language)
    t, sep = shared["t"], decimal_separator(shared["languages"])
    lines = _invoice_lines(invoice)
    month = (invoice.period_start, invoice.period_end)
    return DocumentContext(
        **shared,
        title=t["act"] if kind == "act" else t["invoice"],
        number=invoice.number or "",
        date=dmy(invoice.turnover_date if kind == "act" else invoice.issue_date),
        due_date=dmy(invoice.due_date),
        lines=[line_view(line, sep=sep, month=month) for line in lines],
        **_totals(invoice, sep),
        is_draft=invoice.state == InvoiceState.DRAFT,
        is_cancelled=invoice.state == InvoiceState.CANCELLED,
        basis=_basis(lines),
    )


def credit_note_context(credit_note: CreditNote, *, language: str = DEFAULT_LANGUAGE):
    invoice = credit_note.invoice
    shared = _of_invoice(invoice, language)
    t, sep = shared["t"], decimal_separator(shared["languages"])
    lines = list(
        CreditNoteLine.objects.filter(credit_note=credit_note)
        .select_related("invoice_line__allocation")
        .order_by("invoice_line__position", "pk")
    )
    month = (invoice.period_start, invoice.period_end)
    return DocumentContext(
        **shared,
        title=t["credit_note"],
        number=credit_note.number,
        date=dmy(credit_note.issue_date),
        due_date="",
        lines=[line_view(line, sep=sep, month=month, credit=True) for line in lines],
        **_totals(credit_note, sep),
        is_draft=False,
        is_cancelled=False,
        basis=_basis([line.invoice_line for line in lines]),
        extra={
            "invoice_number": invoice.number or "",
            "invoice_date": dmy(invoice.issue_date),
            "reason": credit_note.reason,
        },
    )
