"""Calls overview for deciders, and the screening of submitted applications."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from allocations.awards import selectors, services
from allocations.awards.forms import ScreeningForm
from allocations.core.permissions import Capability, capability_required


@require_GET
@capability_required(Capability.DECIDE)
def call_list(request):
    return render(request, "awards/call_list.html", {"calls": selectors.calls_for_awards()})


@require_GET
@capability_required(Capability.DECIDE)
def screening_queue(request, pk: int):
    call = selectors.call_for_staff(pk=pk)
    return render(
        request,
        "awards/screening_queue.html",
        {"call": call, "applications": selectors.screening_queue(call=call)},
    )


@capability_required(Capability.DECIDE)
def screen(request, pk: int):
    application = selectors.application_for_staff(pk=pk)
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        eligible = form.cleaned_data["outcome"] == "eligible"
        try:
            services.screen_application(
                actor=request.user,
                application_id=pk,
                eligible=eligible,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = (
                _("%(reference)s is eligible and goes to technical review.")
                if eligible
                else _("%(reference)s was rejected as not eligible; the letter is on its way.")
            )
            messages.success(request, done % {"reference": application.reference})
            return redirect("awards:screening_queue", application.call_id)
    return render(
        request,
        "awards/screen.html",
        {
            "application": application,
            "form": form,
            "waiting": application.state in selectors.SCREENABLE_STATES,
        },
    )
