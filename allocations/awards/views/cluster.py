"""An allocation on the cluster: suspending and resuming it, its members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.awards import selectors, services
from allocations.awards.forms import AllocationMemberForm, SuspendForm
from allocations.awards.models import AllocationState
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form


@capability_required(Capability.DECIDE)
def allocation_suspend(request, pk: int):
    allocation = selectors.allocation_for_user(user=request.user, pk=pk)
    form = SuspendForm(request.POST or None)
    suspended = save_form(
        request,
        form,
        lambda data: services.suspend_allocation(
            actor=request.user, allocation_id=pk, reason=data["reason"]
        ),
        success=_("The allocation is suspended; its GPU limit is now 0."),
        then=reverse("awards:allocation_detail", args=[pk]),
    )
    if suspended:
        return suspended
    return render(
        request,
        "awards/allocation_suspend.html",
        {
            "allocation": allocation,
            "form": form,
            "can_suspend": allocation.state == AllocationState.ACTIVE,
        },
    )


@require_POST
@capability_required(Capability.DECIDE)
def allocation_resume(request, pk: int):
    run_action(
        request,
        lambda: services.resume_allocation(
            actor=request.user, allocation_id=pk, now=timezone.now()
        ),
        success=_("The allocation is resumed."),
    )
    return redirect("awards:allocation_detail", pk)


@require_POST
@login_required
def member_add(request, pk: int):
    form = AllocationMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a team member to add."))
        return redirect("awards:allocation_detail", pk)
    run_action(
        request,
        lambda: services.add_allocation_member(
            actor=request.user, allocation_id=pk, user_id=form.cleaned_data["user"]
        ),
        success=_("Added. The cluster gets the new member in a few seconds."),
    )
    return redirect("awards:allocation_detail", pk)


@require_POST
@login_required
def member_remove(request, pk: int, member_pk: int):
    run_action(
        request,
        lambda: services.remove_allocation_member(
            actor=request.user, allocation_id=pk, member_id=member_pk, now=timezone.now()
        ),
        success=_("Removed. Their access to the account ends in a few seconds."),
    )
    return redirect("awards:allocation_detail", pk)
