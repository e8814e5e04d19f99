"""Extensions and supplements: the team asks and withdraws, call managers decide."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.awards import change_selectors, selectors, services
from allocations.awards.change_forms import ChangeDecisionForm, ChangeRequestForm, kind_or_none
from allocations.awards.member_services import LEADING_ROLES
from allocations.awards.models import AllocationState, ChangeRequestState
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form


@login_required
def change_request(request, pk: int):
    """GET: the form (`?kind=extension|supplement` shows only that kind's fields); POST: ask."""
    allocation = selectors.allocation_for_user(user=request.user, pk=pk)
    if allocation.my_role not in LEADING_ROLES:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    kind = kind_or_none(data.get("kind"))
    form = ChangeRequestForm(request.POST or None, allocation=allocation, kind=kind)
    sent = save_form(
        request,
        form,
        lambda data: services.request_change(
            actor=request.user,
            allocation_id=pk,
            kind=data["kind"],
            justification=data["justification"],
            requested_end_date=data.get("requested_end_date"),
            requested_gpu_hours=data.get("requested_gpu_hours") or 0,
            now=timezone.now(),
        ),
        success=_("Your request was sent. A call manager will decide on it."),
        then=reverse("awards:allocation_detail", args=[pk]),
    )
    if sent:
        return sent
    return render(
        request,
        "awards/change_request_form.html",
        {
            "allocation": allocation,
            "form": form,
            "kind": kind,
            "can_request": allocation.state != AllocationState.CLOSED,
        },
    )


@require_POST
@login_required
def change_withdraw(request, pk: int, change_pk: int):
    run_action(
        request,
        lambda: services.withdraw_change(
            actor=request.user, allocation_id=pk, change_id=change_pk, now=timezone.now()
        ),
        success=_("Your request was withdrawn."),
    )
    return redirect("awards:allocation_detail", pk)


@require_GET
@capability_required(Capability.DECIDE)
def staff_change_list(request):
    """Open requests of every allocation, oldest first."""
    page = Paginator(change_selectors.open_changes(), change_selectors.STAFF_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "awards/staff_change_list.html", {"page": page})


def _decision_message(change) -> str:
    if change.state == ChangeRequestState.APPROVED:
        return _("Approved. The cluster gets the new limit in a few seconds.")
    return _("Rejected. The team has been told why.")


@capability_required(Capability.DECIDE)
def change_decide(request, change_pk: int):
    change = change_selectors.change_for_user(user=request.user, pk=change_pk)
    form = ChangeDecisionForm(request.POST or None, change=change)
    decided = save_form(
        request,
        form,
        lambda data: services.decide_change(
            actor=request.user,
            change_id=change_pk,
            outcome=data["outcome"],
            reason=data["reason"],
            granted_gpu_hours=data.get("granted_gpu_hours"),
            granted_end_date=data.get("granted_end_date"),
            override=data["override"],
            override_reason=data["override_reason"],
            now=timezone.now(),
        ),
        success=_decision_message,
        then=reverse("awards:staff_change_list"),
    )
    if decided:
        return decided
    context = change_selectors.decision_page(change=change)
    return render(request, "awards/change_decide.html", {**context, "form": form})
