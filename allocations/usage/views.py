"""Usage dashboards: an allocation's usage for its team, the centre's for staff."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from allocations.core.permissions import Capability, capability_required
from allocations.usage import dashboards
from allocations.usage.forms import PeriodForm


@require_GET
@login_required
def allocation_usage(request, pk: int):
    allocation = dashboards.allocation_for_viewer(user=request.user, pk=pk)
    usage = dashboards.allocation_usage(allocation=allocation, today=timezone.localdate())
    return render(
        request,
        "usage/allocation_usage.html",
        {"usage": usage, "allocation": allocation, "chart": dashboards.chart_bars(usage.days)},
    )


@require_GET
@capability_required(Capability.VIEW_USAGE)
def centre_usage(request):
    today = timezone.localdate()
    first = today.replace(day=1)
    form = PeriodForm(request.GET or None, initial={"start": first, "end": today})
    start, end = first, today + timedelta(days=1)
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or first
        end = (form.cleaned_data["end"] or today) + timedelta(days=1)
    context = dashboards.centre_usage(start=start, end=end, today=today)
    context["form"] = form
    context["last_day"] = end - timedelta(days=1)
    return render(request, "usage/centre_usage.html", context)
