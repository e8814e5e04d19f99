"""What the finance pages and the applicants' invoice pages show, in a constant number
of queries (the list reads its rows, their count and one aggregate, however many)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership, MembershipRole
from allocations.billing import documents, esf
from allocations.billing import selectors as billing_selectors
from allocations.billing.exports import RegisterFilter, filter_invoices
from allocations.billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceState,
    SellerProfile,
    Tariff,
    TrackBilling,
    VatRate,
)
from allocations.core.audit import timeline_for

INVOICES_PER_PAGE = 50
# Who of an organisation sees its invoices.
INVOICE_ROLES = (MembershipRole.OWNER, MembershipRole.BILLING)
# What applicants see: documents, never drafts.
DOCUMENT_STATES = (InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.CANCELLED)

VERB_LABELS = {
    "billing.invoice_drafted": _("Draft made by an invoicing run"),
    "billing.invoice_issued": _("Issued"),
    "billing.invoice_paid": _("Marked paid"),
    "billing.invoice_cancelled": _("Cancelled"),
    "billing.credit_note_issued": _("Credit note issued"),
    "billing.documents_stored": _("Documents stored"),
}


# --- Tariffs -----------------------------------------------------------------------------


def tariffs_page() -> dict:
    tariffs = list(Tariff.objects.select_related("resource").order_by(
        "resource__name", "category", "valid_from"
    ))  # fmt: skip
    groups: list[dict] = []
    for tariff in tariffs:
        key = (tariff.resource_id, tariff.category)
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "resource": tariff.resource, "tariffs": []})
            groups[-1]["category"] = tariff.get_category_display()
        groups[-1]["tariffs"].append(tariff)
    return {
        "groups": groups,
        "tariff_count": len(tariffs),
        "tracks": list(TrackBilling.objects.order_by("track")),
        "vat_rates": list(VatRate.objects.order_by("valid_from")),
        "seller": SellerProfile.objects.order_by("pk").first(),
    }


def tariff(*, pk: int) -> Tariff:
    found = Tariff.objects.select_related("resource").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def seller_profile() -> SellerProfile | None:
    return SellerProfile.objects.order_by("pk").first()


# --- Runs --------------------------------------------------------------------------------


def run_list(*, limit: int = 20) -> list[InvoiceRun]:
    return list(InvoiceRun.objects.select_related("started_by").order_by("-queued_at", "-id")[
        :limit
    ])  # fmt: skip


def run_page(*, pk: int) -> dict:
    if not InvoiceRun.objects.filter(pk=pk).exists():
        raise Http404
    progress = billing_selectors.run_progress(run_id=pk)
    run = progress["run"]
    month = f"{run.period_start:%Y-%m}"
    return {
        **progress,
        "drafts_query": RegisterFilter(
            month_from=run.period_start, month_to=run.period_start, state=InvoiceState.DRAFT
        ).query_string(),
        "month": month,
    }


# --- Invoice list ------------------------------------------------------------------------


@dataclass
class Totals:
    label: str
    count: int = 0
    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    key: str = ""

    def add(self, row: dict) -> None:
        self.count += row["count"]
        self.net += row["net"] or 0
        self.vat += row["vat"] or 0
        self.gross += row["gross"] or 0


@dataclass
class InvoiceListPage:
    page: Page
    by_state: list[Totals]
    by_month: list[Totals]
    overall: Totals
    filters: RegisterFilter
    query: str
    drafts_on_page: bool = False
    extra: dict = field(default_factory=dict)


def invoice_list_page(*, filters: RegisterFilter, page_number) -> InvoiceListPage:
    """The filtered invoices, a page of them, and their totals per state and per month
    (one aggregate query)."""
    invoices = filter_invoices(Invoice.objects.all(), filters)
    rows = (
        invoices.order_by()
        .values("period_start", "state")
        .annotate(
            count=Count("pk"), net=Sum("net_total"), vat=Sum("vat_total"), gross=Sum("gross_total")
        )
        .order_by("period_start", "state")
    )
    states = dict(InvoiceState.choices)
    by_state = {value: Totals(label=str(label), key=value) for value, label in states.items()}
    by_month: dict = {}
    overall = Totals(label=str(_("All")))
    for row in rows:
        by_state[row["state"]].add(row)
        month = row["period_start"]
        by_month.setdefault(month, Totals(label=f"{month:%Y-%m}", key=f"{month:%Y-%m}")).add(row)
        overall.add(row)
    listed = invoices.select_related("organisation").order_by(
        "-period_start", "organisation__legal_name", "pk"
    )
    page = Paginator(listed, INVOICES_PER_PAGE).get_page(page_number)
    return InvoiceListPage(
        page=page,
        by_state=[totals for totals in by_state.values() if totals.count],
        by_month=[by_month[key] for key in sorted(by_month, reverse=True)],
        overall=overall,
        filters=filters,
        query=filters.query_string(),
        drafts_on_page=any(invoice.state == InvoiceState.DRAFT for invoice in page),
    )


# --- One invoice -------------------------------------------------------------------------


def invoice(*, pk: int) -> Invoice:
    found = (
        Invoice.objects.select_related("organisation", "issued_by", "run")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InvoiceLine.objects.select_related("allocation", "resource").order_by(
                    "position"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def describe(event) -> dict:
    """An audit event as the timeline shows it: what happened, in words, and the states."""
    states = dict(InvoiceState.choices)
    return {
        "event": event,
        "label": VERB_LABELS.get(event.verb, event.verb),
        "from_label": states.get(event.from_state, event.from_state),
        "to_label": states.get(event.to_state, event.to_state),
    }


def invoice_page(*, invoice: Invoice, language: str) -> dict:
    """The invoice as printed (in the interface language), its credit notes, what is left
    to credit per line and its audit timeline."""
    timeline = [describe(event) for event in timeline_for(invoice)]
    creditable = []
    if invoice.state in (InvoiceState.ISSUED, InvoiceState.PAID):
        creditable = billing_selectors.creditable_lines(invoice_id=invoice.pk)
    preview_language = language if language in documents.LANGUAGE_SETS else "en"
    has_esf = invoice.state in esf.ESF_STATES
    # What the ESF check finds (an old seller copy without bank details, say), shown
    # before finance downloads the XML to sign and upload.
    esf_problems = esf.validate_esf(esf.esf_xml(invoice)) if has_esf else []
    return {
        "invoice": invoice,
        "doc": documents.document_context(invoice, language=preview_language),
        "credit_notes": list(
            CreditNote.objects.filter(invoice=invoice)
            .select_related("issued_by")
            .order_by("issue_date", "pk")
        ),
        "creditable": creditable,
        "can_credit": any(row["remaining"] > 0 for row in creditable),
        "timeline": timeline,
        "is_draft": invoice.state == InvoiceState.DRAFT,
        "is_issued": invoice.state == InvoiceState.ISSUED,
        "has_esf": has_esf,
        "esf_problems": esf_problems,
    }


def credit_note(*, pk: int) -> CreditNote:
    found = CreditNote.objects.select_related("invoice__organisation").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- Applicants --------------------------------------------------------------------------


def billing_membership(*, user, organisation_id: int) -> Membership:
    """Owners and billing contacts see the invoices; 404 for non-members, 403 for others."""
    membership = (
        Membership.objects.select_related("organisation")
        .filter(organisation_id=organisation_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    if membership.role not in INVOICE_ROLES:
        raise PermissionDenied
    return membership


def organisation_invoices(*, user, organisation_id: int, page_number) -> dict:
    membership = billing_membership(user=user, organisation_id=organisation_id)
    invoices = (
        Invoice.objects.filter(organisation_id=organisation_id, state__in=DOCUMENT_STATES)
        .prefetch_related(
            Prefetch("credit_notes", queryset=CreditNote.objects.order_by("issue_date", "pk"))
        )
        .order_by("-period_start", "-issue_date", "-pk")
    )
    return {
        "organisation": membership.organisation,
        "membership": membership,
        "page": Paginator(invoices, INVOICES_PER_PAGE).get_page(page_number),
    }


def organisation_invoice(*, user, organisation_id: int, invoice_id: int) -> Invoice:
    billing_membership(user=user, organisation_id=organisation_id)
    found = (
        Invoice.objects.select_related("organisation")
        .filter(pk=invoice_id, organisation_id=organisation_id, state__in=DOCUMENT_STATES)
        .first()
    )
    if found is None:
        raise Http404
    return found


def organisation_credit_note(*, user, organisation_id: int, credit_note_id: int) -> CreditNote:
    billing_membership(user=user, organisation_id=organisation_id)
    found = (
        CreditNote.objects.select_related("invoice__organisation")
        .filter(pk=credit_note_id, invoice__organisation_id=organisation_id)
        .first()
    )
    if found is None:
        raise Http404
    return found
