"""An allocation on the cluster: suspending and resuming it, its members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.awards import selectors, services
from allocations.awards.forms import AllocationMemberForm, SuspendForm
from allocations.awards.models import AllocationState
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages


@capability_required(Capability.DECIDE)
def allocation_suspend(request, pk: int):
    allocation = selectors.allocation_for_user(user=request.user, pk=pk)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.suspend_allocation(
                actor=request.user, allocation_id=pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The allocation is suspended; its GPU limit is now 0."))
            return redirect("awards:allocation_detail", pk)
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
    try:
        services.resume_allocation(actor=request.user, allocation_id=pk, now=timezone.now())
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The allocation is resumed."))
    return redirect("awards:allocation_detail", pk)


@require_POST
@login_required
def member_add(request, pk: int):
    form = AllocationMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a team member to add."))
        return redirect("awards:allocation_detail", pk)
    try:
        services.add_allocation_member(
            actor=request.user, allocation_id=pk, user_id=form.cleaned_data["user"]
        )
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("Added. The cluster gets the new member in a few seconds."))
    return redirect("awards:allocation_detail", pk)


@require_POST
@login_required
def member_remove(request, pk: int, member_pk: int):
    try:
        services.remove_allocation_member(
            actor=request.user, allocation_id=pk, member_id=member_pk, now=timezone.now()
        )
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("Removed. Their access to the account ends in a few seconds."))
    return redirect("awards:allocation_detail", pk)
