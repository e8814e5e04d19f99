"""Finance: the invoice list (filters, totals, bulk issue, registers) and one invoice's
page (preview, issue, discard, paid, cancel, credit notes, timeline)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from allocations.billing import exports, page_selectors, selectors, services
from allocations.billing.forms import (
    BulkIssueForm,
    CancelForm,
    CreditNoteForm,
    InvoiceFilterForm,
    IssueForm,
    PaidForm,
)
from allocations.billing.forms import posted as _posted
from allocations.billing.models import InvoiceState
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import add_service_error, htmx_partial, run_action, save_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _list_url(query: str) -> str:
    url = reverse("billing:invoice_list")
    return f"{url}?{query}" if query else url


@capability_required(Capability.MANAGE_BILLING)
def invoice_list(request):
    """GET: the filtered list. POST: issue the checked drafts (filters stay in the URL)."""
    filter_form = InvoiceFilterForm(request.GET if request.GET else None)
    filters = filter_form.filters()
    bulk_form = BulkIssueForm(_posted(request), initial={"issue_date": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if bulk_form.is_valid():
            try:
                issued = services.issue_invoices(
                    actor=request.user,
                    invoice_ids=bulk_form.cleaned_data["invoice"],
                    issue_date=bulk_form.cleaned_data["issue_date"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(bulk_form, error, fields={"invoice_ids": "invoice"})
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s invoice issued: %(numbers)s.",
                        "%(count)s invoices issued: %(numbers)s.",
                        len(issued),
                    )
                    % {
                        "count": len(issued),
                        "numbers": ", ".join(invoice.number for invoice in issued),
                    },
                )
                return redirect(_list_url(filters.query_string()))
        status = 400
    context = page_selectors.invoice_list_page(filters=filters, page_number=request.GET.get("page"))
    checked = {str(pk) for pk in request.POST.getlist("invoice")}
    return render(
        request,
        htmx_partial(request, "billing/invoice_list.html", "results"),
        {
            "listing": context,
            "page": context.page,
            "query": context.query,
            "filter_form": filter_form,
            "bulk_form": bulk_form,
            "checked": checked,
            "states": InvoiceState,
        },
        status=status,
    )


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def register(request, kind: str, fmt: str):
    """A register of the filtered invoices (their lines, their credit notes) as CSV (streamed)
    or XLSX."""
    if kind not in exports.REGISTERS or fmt not in ("csv", "xlsx"):
        raise Http404
    filters = InvoiceFilterForm(request.GET if request.GET else None).filters()
    name = exports.filename(kind, filters, fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.register_csv(kind, filters), content_type="text/csv; charset=utf-8"
        )
    else:
        titles = {
            "invoices": _("Invoices"),
            "lines": _("Invoice lines"),
            "credit-notes": _("Credit notes"),
        }
        response = HttpResponse(
            exports.register_xlsx(kind, filters, title=str(titles[kind])), content_type=XLSX
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- One invoice -------------------------------------------------------------------------


def _detail(request, invoice, *, status=200, **forms):
    today = timezone.localdate()
    context = page_selectors.invoice_page(invoice=invoice, language=translation.get_language())
    context.update(
        issue_form=IssueForm(initial={"issue_date": max(today, invoice.turnover_date)}),
        paid_form=PaidForm(initial={"paid_on": today}),
        cancel_form=CancelForm(),
        credit_form=CreditNoteForm(lines=context["creditable"], initial={"issue_date": today}),
    )
    context.update(forms)
    return render(request, "billing/invoice_detail.html", context, status=status)


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def invoice_detail(request, pk: int):
    return _detail(request, page_selectors.invoice(pk=pk))


def _detail_url(invoice) -> str:
    return reverse("billing:invoice_detail", args=[invoice.pk])


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def invoice_issue(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    form = IssueForm(request.POST)
    done = save_form(
        request,
        form,
        lambda data: services.issue_invoices(
            actor=request.user,
            invoice_ids=[invoice.pk],
            issue_date=data["issue_date"],
            now=timezone.now(),
        ),
        success=lambda issued: _("Issued as %(number)s.") % {"number": issued[0].number},
        then=_detail_url(invoice),
    )
    return done or _detail(request, invoice, status=400, issue_form=form)


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def invoice_discard(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    discarded = run_action(
        request,
        lambda: services.discard_draft(actor=request.user, invoice_id=invoice.pk),
        success=_(
            "The draft of %(organisation)s is discarded; a new run of the month makes it again."
        )
        % {"organisation": invoice.organisation.legal_name},
    )
    if not discarded:
        return redirect(_detail_url(invoice))
    month = f"{invoice.period_start:%Y-%m}"
    return redirect(f"{reverse('billing:invoice_list')}?month_from={month}&month_to={month}")


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def invoice_paid(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    form = PaidForm(request.POST)
    done = save_form(
        request,
        form,
        lambda data: services.mark_paid(
            actor=request.user, invoice_id=invoice.pk, paid_on=data["paid_on"]
        ),
        success=_("The invoice is marked paid."),
        then=_detail_url(invoice),
    )
    return done or _detail(request, invoice, status=400, paid_form=form)


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def invoice_cancel(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    form = CancelForm(request.POST)
    done = save_form(
        request,
        form,
        lambda data: services.cancel_invoice(
            actor=request.user, invoice_id=invoice.pk, reason=data["reason"], now=timezone.now()
        ),
        success=_("The invoice is cancelled."),
        then=_detail_url(invoice),
    )
    return done or _detail(request, invoice, status=400, cancel_form=form)


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def credit_note_create(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    lines = selectors.creditable_lines(invoice_id=invoice.pk)
    form = CreditNoteForm(request.POST, lines=lines)
    done = save_form(
        request,
        form,
        lambda data: services.issue_credit_note(
            actor=request.user,
            invoice_id=invoice.pk,
            quantities=form.quantities(),
            reason=data["reason"],
            issue_date=data["issue_date"],
            now=timezone.now(),
        ),
        success=lambda note: _("Credit note %(number)s is issued.") % {"number": note.number},
        then=_detail_url(invoice),
    )
    return done or _detail(request, invoice, status=400, credit_form=form)
