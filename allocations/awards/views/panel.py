"""The panel of a call (ranking within capacity), the decision form, the decisions list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from allocations.applications.models import ApplicationState
from allocations.awards import selectors, services
from allocations.awards.forms import DecisionForm, PanelEntryForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial

PANEL_TEMPLATE = "awards/panel.html"
DECIDABLE_STATES = (ApplicationState.PANEL, ApplicationState.WAITLISTED)


def _panel_response(request, call, *, page_number, row_form=None, row_id=None, status=""):
    context = {
        "panel": selectors.panel(call=call, page_number=page_number),
        "row_form": row_form,
        "row_form_for": row_id,
        "status": status,
    }
    return render(request, htmx_partial(request, PANEL_TEMPLATE, "panel_tables"), context)


def _not_saved(form) -> str:
    """The status line: the service's refusal if any (its row may not be on the page)."""
    refusals = form.non_field_errors()
    return " ".join(refusals) if refusals else str(_("Not saved: correct the marked field."))


@require_GET
@vary_on_headers("HX-Request")
@capability_required(Capability.DECIDE)
def panel(request, pk: int):
    call = selectors.call_for_staff(pk=pk)
    return _panel_response(request, call, page_number=request.GET.get("page"))


@require_POST
@capability_required(Capability.DECIDE)
def panel_entry(request, pk: int):
    application = selectors.application_for_staff(pk=pk)
    form = PanelEntryForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.update_panel_entry(
                actor=request.user,
                application_id=pk,
                position=form.cleaned_data["position"],
                proposed_gpu_hours=form.cleaned_data["proposed_gpu_hours"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            saved = True
    page = request.POST.get("page", "1")
    page = page if page.isdigit() else "1"
    status = _("%(reference)s updated.") % {"reference": application.reference}
    if saved and not request.htmx:
        messages.success(request, status)
        url = reverse("awards:panel", args=[application.call_id])
        return redirect(f"{url}?page={page}#row-{pk}")
    call = selectors.call_for_staff(pk=application.call_id)
    return _panel_response(
        request,
        call,
        page_number=page,
        row_form=None if saved else form,
        row_id=None if saved else pk,
        status=status if saved else _not_saved(form),
    )


@capability_required(Capability.DECIDE)
def decide(request, pk: int):
    application = selectors.application_for_staff(pk=pk)
    page = selectors.decision_page(application=application, today=timezone.localdate())
    start, end = page["period"]
    initial = {"start_date": start, "end_date": end}
    initial.update({f"gpu_hours_{rid}": hours for rid, hours in page["proposal"].items()})
    form = DecisionForm(
        request.POST or None,
        initial=initial,
        requests=application.requests.all(),
        waitlisted=application.state == ApplicationState.WAITLISTED,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(
                actor=request.user,
                application_id=pk,
                outcome=data["outcome"],
                reason=data["reason"],
                amounts=form.amounts(),
                start_date=data["start_date"],
                end_date=data["end_date"],
                override=data["override"],
                override_reason=data["override_reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Decision on %(reference)s recorded; the letter is being prepared.")
                % {"reference": application.reference},
            )
            return redirect("awards:panel", application.call_id)
    return render(
        request,
        "awards/decide.html",
        {
            "application": application,
            "form": form,
            "decidable": application.state in DECIDABLE_STATES,
            **page,
        },
    )


@require_GET
@capability_required(Capability.VIEW_APPLICATIONS)
def decision_list(request, pk: int):
    call = selectors.call_for_staff(pk=pk)
    return render(
        request,
        "awards/decision_list.html",
        {"call": call, "decisions": selectors.decisions_for_call(call=call)},
    )
