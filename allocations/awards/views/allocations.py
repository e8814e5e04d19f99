"""Allocations: the team's awards and allocations, declining, closing, the staff list,
and the decision letter download."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from allocations.applications.models import TeamRole
from allocations.awards import selectors, services
from allocations.awards.forms import AllocationFilterForm, CloseForm, DeclineForm
from allocations.awards.models import OPEN_STATES
from allocations.core.permissions import Capability, capability_required


@require_GET
@login_required
def allocation_list(request):
    return render(
        request, "awards/allocation_list.html", selectors.awards_for_member(user=request.user)
    )


@require_GET
@login_required
def allocation_detail(request, pk: int):
    page = selectors.allocation_page(user=request.user, pk=pk, today=timezone.localdate())
    return render(request, "awards/allocation_detail.html", page)


@login_required
def allocation_decline(request, pk: int):
    allocation = selectors.allocation_for_user(user=request.user, pk=pk)
    if allocation.my_role != TeamRole.PI:
        raise PermissionDenied
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_allocation(
                actor=request.user,
                allocation_id=pk,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("You declined the allocation. Its GPU-hours were released.")
            )
            return redirect("awards:allocation_detail", pk)
    return render(
        request,
        "awards/allocation_decline.html",
        {
            "allocation": allocation,
            "form": form,
            "can_decline": allocation.state in OPEN_STATES
            and timezone.localdate() < allocation.start_date,
        },
    )


@capability_required(Capability.DECIDE)
def allocation_close(request, pk: int):
    allocation = selectors.allocation_for_user(user=request.user, pk=pk)
    form = CloseForm(request.POST or None, granted=allocation.gpu_hours)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_allocation(
                actor=request.user,
                allocation_id=pk,
                reason=form.cleaned_data["reason"],
                used_gpu_hours=form.cleaned_data["used_gpu_hours"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The allocation was closed."))
            return redirect("awards:allocation_detail", pk)
    return render(
        request,
        "awards/allocation_close.html",
        {"allocation": allocation, "form": form, "can_close": allocation.state in OPEN_STATES},
    )


@require_GET
@capability_required(Capability.VIEW_APPLICATIONS)
def staff_allocation_list(request):
    form = AllocationFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    allocations = selectors.staff_allocations(state=state)
    page = Paginator(allocations, selectors.STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "awards/staff_allocation_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@login_required
def letter_download(request, pk: int):
    """The decision letter of application `pk`, for its team and for staff."""
    decision = selectors.letter_for_download(user=request.user, application_pk=pk)
    try:
        handle = decision.letter.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{decision.application.reference}-decision.pdf",
        content_type="application/pdf",
    )
