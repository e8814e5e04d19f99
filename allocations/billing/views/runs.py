"""Finance: run a month (draft invoices made in the background) and watch it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from allocations.billing import page_selectors, services
from allocations.billing.forms import RunMonthForm
from allocations.billing.forms import posted as _posted
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import add_service_error, htmx_partial


@capability_required(Capability.MANAGE_BILLING)
def run_list(request):
    """GET: the form and the latest runs; POST: queue a run and go to its page."""
    form = RunMonthForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            run = services.queue_invoice_run(
                actor=request.user, period_start=form.cleaned_data["month"]
            )
        except ValidationError as error:
            add_service_error(form, error, fields={"period_start": "month"})
        else:
            messages.success(request, _("The month is being invoiced."))
            return redirect("billing:run_detail", run.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "runs": page_selectors.run_list()}
    return render(request, "billing/runs.html", context, status=status)


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def run_detail(request, pk: int):
    """The run's progress; htmx polls the "progress" region every 2 s until it is done."""
    context = page_selectors.run_page(pk=pk)
    return render(request, htmx_partial(request, "billing/run.html", "progress"), context)
