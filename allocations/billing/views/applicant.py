"""Applicants: an organisation's issued invoices, for its owners and billing contacts."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from allocations.billing import page_selectors


@require_GET
@login_required
def organisation_invoices(request, pk: int):
    context = page_selectors.organisation_invoices(
        user=request.user, organisation_id=pk, page_number=request.GET.get("page")
    )
    return render(request, "billing/organisation_invoices.html", context)
