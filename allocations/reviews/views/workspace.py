"""The reviewer's workspace: my reviews, one assignment (invitation → declaration → review)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages
from allocations.reviews import selectors, services
from allocations.reviews.forms import DeclarationForm, ReasonForm, ReviewForm
from allocations.reviews.models import AssignmentState

reviews = capability_required(Capability.REVIEW)
ASSIGNMENT_TEMPLATE = "reviews/workspace/assignment.html"


@require_GET
@reviews
def my_reviews(request):
    assignments = selectors.my_assignments(user=request.user, now=timezone.now())
    profile = selectors.own_profile(user=request.user)
    return render(
        request,
        "reviews/workspace/list.html",
        {
            "assignments": assignments,
            "profile": profile,
            "load": sum(1 for a in assignments if a.is_open),
        },
    )


def assignment_page(
    request,
    assignment,
    *,
    decline_form=None,
    declaration_form=None,
    review_form=None,
    status_text="",
    partial=False,
):
    """What the reviewer may see now: nothing of the content before a clean declaration."""
    may_read = selectors.reviewer_may_read(assignment=assignment)
    context = {
        "assignment": assignment,
        "may_read": may_read,
        "is_open": assignment.state in (AssignmentState.INVITED, AssignmentState.ACCEPTED),
        "decline_form": decline_form or ReasonForm(),
        "status_text": status_text,
        "now": timezone.now(),
    }
    declared = selectors.declaration_of(assignment=assignment)
    context["declared"] = declared
    if assignment.state == AssignmentState.ACCEPTED and declared is None:
        context["team"] = selectors.team_for_declaration(application=assignment.application)
        context["declaration_form"] = declaration_form or DeclarationForm()
    if may_read:
        application = selectors.application_for_reviewer(assignment=assignment)
        review = selectors.review_of(assignment=assignment)
        call = application.call
        criteria = list(call.criteria.all())
        context.update(
            application=application,
            review=review,
            criteria=criteria,
            read_only=assignment.state == AssignmentState.SUBMITTED,
            review_form=review_form or ReviewForm(call=call, criteria=criteria, review=review),
        )
    template = f"{ASSIGNMENT_TEMPLATE}#review-form" if partial else ASSIGNMENT_TEMPLATE
    return render(request, template, context)


@require_GET
@reviews
def assignment(request, pk: int):
    return assignment_page(request, selectors.assignment_for_reviewer(user=request.user, pk=pk))


@require_POST
@reviews
def accept(request, pk: int):
    try:
        services.accept_assignment(actor=request.user, assignment_id=pk, now=timezone.now())
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(
            request, _("Thank you. Now declare any conflict of interest to open the application.")
        )
    return redirect("reviews:assignment", pk)


@require_POST
@reviews
def decline(request, pk: int):
    assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.decline_assignment(
                actor=request.user,
                assignment_id=pk,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("You declined this review. The call manager was told."))
            return redirect("reviews:my_reviews")
    return assignment_page(request, assignment, decline_form=form)


@require_POST
@reviews
def declare(request, pk: int):
    assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            result = services.declare_conflicts(
                actor=request.user, assignment_id=pk, now=timezone.now(), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.state == AssignmentState.CONFLICT:
                if form.cleaned_data["has_conflict"]:
                    text = _(
                        "Your conflict of interest was recorded; the call manager will reassign."
                    )
                else:
                    text = _(
                        "The portal found that you belong to the applicant organisation or team: "
                        "you cannot review this application. The call manager was told."
                    )
                messages.warning(request, text)
                return redirect("reviews:my_reviews")
            messages.success(request, _("Declaration recorded. The application is open to you."))
            return redirect("reviews:assignment", pk)
    return assignment_page(request, assignment, declaration_form=form)


@require_POST
@reviews
def review_save(request, pk: int):
    """Save a draft or submit; htmx gets the form region back with its status."""
    assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
    if not selectors.reviewer_may_read(assignment=assignment):
        raise PermissionDenied
    call = assignment.application.call
    criteria = list(call.criteria.all())
    review = selectors.review_of(assignment=assignment)
    form = ReviewForm(request.POST, call=call, criteria=criteria, review=review)
    submit = request.POST.get("action") == "submit"
    partial = bool(request.htmx)
    if form.is_valid():
        try:
            services.save_review(
                actor=request.user,
                assignment_id=pk,
                submit=submit,
                now=timezone.now(),
                **form.payload(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if submit:
                messages.success(request, _("Your review was submitted. Thank you."))
                if request.htmx:
                    # A plain redirect would be followed by the XHR and swapped into the form.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("reviews:assignment", args=[pk])
                    return response
                return redirect("reviews:assignment", pk)
            if not partial:
                messages.success(request, _("Draft saved."))
                return redirect("reviews:assignment", pk)
            assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
            return assignment_page(request, assignment, status_text=_("Draft saved."), partial=True)
    return assignment_page(
        request,
        assignment,
        review_form=form,
        status_text=_("Not saved: correct the marked fields."),
        partial=partial,
    )


@require_GET
@reviews
def attachment(request, pk: int, attachment_pk: int):
    found = selectors.attachment_for_reviewer(
        user=request.user, assignment_pk=pk, attachment_pk=attachment_pk
    )
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(
        handle, as_attachment=True, filename=found.original_name, content_type="application/pdf"
    )
