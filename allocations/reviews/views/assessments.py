"""Technical assessment for the centre's assessors: a queue and one form per application."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial
from allocations.reviews import selectors, services
from allocations.reviews.forms import AssessmentForm, AssessmentQueueForm
from allocations.reviews.rules import ASSESSABLE_STATES

QUEUE_TEMPLATE = "reviews/assessments/queue.html"


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
@capability_required(Capability.ASSESS)
def assessment_queue(request):
    form = AssessmentQueueForm(request.GET or None, calls=selectors.calls_for_filter())
    applications = selectors.assessment_queue(call_id=form.call_id(), assessed=form.assessed())
    page = Paginator(applications, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "assessed": form.assessed()}
    return render(request, htmx_partial(request, QUEUE_TEMPLATE, "results"), context)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.ASSESS)
def assessment(request, pk: int):
    application = selectors.application_for_assessment(pk=pk)
    existing = application.assessment
    initial = (
        {
            "feasibility": existing.feasibility,
            "recommended_gpu_hours": existing.recommended_gpu_hours,
            "comments": existing.comments,
        }
        if existing
        else {}
    )
    form = AssessmentForm(
        request.POST or None, initial=initial, total_requested=application.total_gpu_hours
    )
    editable = application.state in ASSESSABLE_STATES and (
        existing is not None or application.state == "technical_review"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_assessment(
                actor=request.user, application_id=pk, now=timezone.now(), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if existing is None:
                messages.success(
                    request, _("Assessment recorded: the application is now in peer review.")
                )
            else:
                messages.success(request, _("Assessment updated."))
            return redirect("reviews:assessment_queue")
    return render(
        request,
        "reviews/assessments/form.html",
        {"application": application, "form": form, "editable": editable},
    )
