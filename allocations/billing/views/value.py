"""The value of an allocation's compute at its tariff, for its team and staff (loaded into
the usage page; a page of its own without JavaScript)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from allocations.billing import selectors
from allocations.core.web import htmx_partial
from allocations.usage.dashboards import allocation_for_viewer


@require_GET
@login_required
def allocation_value(request, pk: int):
    allocation = allocation_for_viewer(user=request.user, pk=pk)
    context = selectors.allocation_value(allocation=allocation, today=timezone.localdate())
    return render(request, htmx_partial(request, "billing/allocation_value.html", "value"), context)
