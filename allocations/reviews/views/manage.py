"""Review management for call managers: overview, one application's reviewers, early closes.

A refused action re-renders its page with the form's errors next to the form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial
from allocations.reviews import rules, selectors, services
from allocations.reviews.forms import AssignForm, CallFilterForm, OptionalReasonForm, ReasonForm
from allocations.reviews.models import OPEN_ASSIGNMENT_STATES

decides = capability_required(Capability.DECIDE)
OVERVIEW_TEMPLATE = "reviews/staff/overview.html"
OVERDUE_REASON = _("Review overdue")


def withdraw_form_for(assignment, bound=None, *, initial=None):
    """Each row's withdraw form has its own prefix, so that field ids stay unique."""
    if bound is not None and assignment.pk in bound:
        return bound[assignment.pk]
    return ReasonForm(prefix=f"w{assignment.pk}", initial=initial)


def _overview_page(request, *, withdraw_forms=None, status=200):
    now = timezone.now()
    form = CallFilterForm(request.GET or None, calls=selectors.calls_for_filter())
    call_id = form.call_id()
    applications = selectors.staff_review_overview(call_id=call_id, now=now)
    page = Paginator(applications, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    overdue = list(selectors.overdue_assignments(now=now, call_id=call_id))
    for assignment in overdue:
        assignment.withdraw_form = withdraw_form_for(
            assignment, withdraw_forms, initial={"reason": OVERDUE_REASON}
        )
    context = {"form": form, "page": page, "query": query.urlencode(), "overdue": overdue}
    template = htmx_partial(request, OVERVIEW_TEMPLATE, "results")
    return render(request, template, context, status=status)


@require_GET
@vary_on_headers("HX-Request")
@decides
def staff_overview(request):
    return _overview_page(request)


def _manage_page(request, application, *, assign_form=None, withdraw_forms=None, close_form=None):
    now = timezone.now()
    can_assign = application.state in rules.REVIEWABLE_STATES
    pool = selectors.pool_choices(application=application) if can_assign else []
    suggested = selectors.suggestions(application=application, pool=pool) if can_assign else []
    if assign_form is None:
        assign_form = AssignForm(suggested=suggested, pool=pool, now=now)
    assignments = list(application.review_assignments.all())
    for assignment in assignments:
        assignment.is_open = assignment.state in OPEN_ASSIGNMENT_STATES
        assignment.overdue = assignment.is_open and rules.is_overdue(
            due_at=assignment.due_at, now=now
        )
        assignment.withdraw_form = withdraw_form_for(assignment, withdraw_forms)
    context = {
        "application": application,
        "assignments": assignments,
        "suggested": suggested,
        "assign_form": assign_form,
        "can_assign": can_assign,
        "default_due": assign_form.fields["due_at"].initial,
        "close_form": close_form or OptionalReasonForm(),
        "panel": selectors.panel_comments(application=application),
        "required": application.call.reviewers_per_application,
    }
    return render(request, "reviews/staff/manage.html", context)


@require_GET
@decides
def manage(request, pk: int):
    return _manage_page(request, selectors.application_for_manager(pk=pk))


@require_POST
@decides
def assign(request, pk: int):
    application = selectors.application_for_manager(pk=pk)
    now = timezone.now()
    pool = selectors.pool_choices(application=application)
    form = AssignForm(
        request.POST,
        suggested=selectors.suggestions(application=application, pool=pool),
        pool=pool,
        now=now,
    )
    if form.is_valid():
        try:
            assignment = services.assign_reviewer(
                actor=request.user,
                application_id=pk,
                reviewer_id=form.cleaned_data["reviewer"],
                due_at=form.cleaned_data["due_at"],
                now=now,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(name)s was invited to review.") % {"name": assignment.reviewer}
            )
            return redirect("reviews:manage", pk)
    return _manage_page(request, application, assign_form=form)


@require_POST
@decides
def withdraw(request, pk: int):
    """Withdraw an open assignment; errors and success go back to the page it came from."""
    assignment = selectors.assignment_for_staff(pk=pk)
    form = ReasonForm(request.POST, prefix=f"w{pk}")
    from_overview = request.POST.get("next") == "overview"
    if form.is_valid():
        try:
            services.withdraw_assignment(
                actor=request.user, assignment_id=pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The assignment of %(name)s was withdrawn; assign another reviewer.")
                % {"name": assignment.reviewer},
            )
            if from_overview:
                return redirect("reviews:staff_overview")
            return redirect("reviews:manage", assignment.application_id)
    if from_overview:
        return _overview_page(request, withdraw_forms={pk: form})
    application = selectors.application_for_manager(pk=assignment.application_id)
    return _manage_page(request, application, withdraw_forms={pk: form})


def _close(request, pk: int, *, service, success):
    form = OptionalReasonForm(request.POST)
    if form.is_valid():
        try:
            application = service(
                actor=request.user,
                application_id=pk,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, success(application))
            return redirect("reviews:manage", pk)
    application = selectors.application_for_manager(pk=pk)
    return _manage_page(request, application, close_form=form)


@require_POST
@decides
def close_review_phase(request, pk: int):
    return _close(
        request,
        pk,
        service=services.close_review_phase,
        success=lambda application: (
            _("Peer review closed: the application is now in “%(state)s”.")
            % {"state": application.get_state_display()}
        ),
    )


@require_POST
@decides
def close_reply(request, pk: int):
    return _close(
        request,
        pk,
        service=services.close_reply_window,
        success=lambda reply: _("The reply window was closed: the application goes to the panel."),
    )
