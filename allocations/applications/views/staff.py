"""The centre's view of submitted applications: a filterable list and a full record."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from allocations.applications import selectors
from allocations.applications.forms import StaffFilterForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial

LIST_TEMPLATE = "applications/staff/list.html"


def _filters(form: StaffFilterForm) -> selectors.StaffFilters:
    if not form.is_valid():
        return selectors.StaffFilters()
    data = form.cleaned_data
    return selectors.StaffFilters(
        call=data["call"],
        state=data["state"],
        track=data["track"],
        category=data["category"],
        search=data["q"],
        order=data["order"] or "-submitted",
    )


@require_GET
@vary_on_headers("HX-Request")
@capability_required(Capability.VIEW_APPLICATIONS)
def staff_list(request):
    form = StaffFilterForm(request.GET or None, calls=selectors.calls_with_submissions())
    applications = selectors.staff_applications(filters=_filters(form))
    page = Paginator(applications, selectors.STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, htmx_partial(request, LIST_TEMPLATE, "results"), context)


@capability_required(Capability.VIEW_APPLICATIONS)
def staff_detail(request, pk: int):
    application = selectors.application_for_staff(pk=pk)
    return render(
        request,
        "applications/staff/detail.html",
        {
            "application": application,
            "timeline": selectors.application_timeline(application=application),
        },
    )
