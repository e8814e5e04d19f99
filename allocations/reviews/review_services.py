"""Writing a review: drafts, then one submission that freezes it and may end the phase."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.reviews import rules, selectors
from allocations.reviews.assignment_services import guard_phase_open, lock_assignment
from allocations.reviews.models import AssignmentState, Review, ReviewScore
from allocations.reviews.phase_services import complete_if_reviewed


def score_field(criterion_id: int) -> str:
    """Form field (and error key) of the score for one criterion."""
    return f"score_{criterion_id}"


def review_value_errors(
    *,
    call,
    criteria,
    scores: dict[int, int | None],
    comment_applicant: str,
    recommended_gpu_hours: int | None,
    submit: bool,
) -> dict[str, list]:
    """Errors per field; a draft may leave scores and comments empty, a submission may not."""
    errors: dict[str, list] = {}
    known = {criterion.pk for criterion in criteria}
    for criterion_id, value in scores.items():
        if criterion_id not in known:
            errors[score_field(criterion_id)] = [_("This criterion is not part of the call.")]
        elif value is not None and not call.scale_min <= value <= call.scale_max:
            errors[score_field(criterion_id)] = [
                _("Give a score from %(low)s to %(high)s.")
                % {"low": call.scale_min, "high": call.scale_max}
            ]
    if recommended_gpu_hours is not None and recommended_gpu_hours < 1:
        errors["recommended_gpu_hours"] = [
            _("Enter a whole number of GPU-hours of at least 1, or leave the field blank.")
        ]
    if submit:
        for criterion in criteria:
            if scores.get(criterion.pk) is None and score_field(criterion.pk) not in errors:
                errors[score_field(criterion.pk)] = [_("Score this criterion before submitting.")]
        if not comment_applicant.strip():
            errors["comment_applicant"] = [
                _("Write a comment for the applicant before submitting.")
            ]
    return errors


@transaction.atomic
def save_review(
    *,
    actor,
    assignment_id: int,
    scores: dict[int, int | None],
    comment_applicant: str,
    comment_panel: str,
    recommended_gpu_hours: int | None,
    submit: bool,
    now,
) -> Review:
    """Save the reviewer's draft, or submit it: every score and the applicant comment needed.

    On submission the weighted score is stored, the review becomes read-only and, when the
    call's number of reviews is reached, the application leaves peer review.
    """
    require(actor, Capability.REVIEW)
    application, assignment = lock_assignment(assignment_id=assignment_id, reviewer=actor)
    if assignment.state == AssignmentState.SUBMITTED:
        raise ValidationError(_("This review has been submitted and can no longer be changed."))
    if not selectors.reviewer_may_read(assignment=assignment):
        raise PermissionDenied
    guard_phase_open(application)
    call = application.call
    criteria = list(call.criteria.all())
    errors = review_value_errors(
        call=call,
        criteria=criteria,
        scores=scores,
        comment_applicant=comment_applicant,
        recommended_gpu_hours=recommended_gpu_hours,
        submit=submit,
    )
    if submit and not criteria:
        errors["__all__"] = [_("The call has no rubric criteria yet; ask the call manager.")]
    if errors:
        raise ValidationError(errors)

    review, _created = Review.objects.get_or_create(assignment=assignment)
    review.comment_applicant = comment_applicant.strip()
    review.comment_panel = comment_panel.strip()
    review.recommended_gpu_hours = recommended_gpu_hours
    existing = {score.criterion_id: score for score in review.scores.all()}
    for criterion in criteria:
        value = scores.get(criterion.pk)
        stored = existing.get(criterion.pk)
        if value is None and stored is not None:
            stored.delete()
        elif value is not None and stored is None:
            ReviewScore.objects.create(review=review, criterion=criterion, score=value)
        elif value is not None and stored.score != value:
            stored.score = value
            stored.save(update_fields=["score"])

    if not submit:
        review.save()
        record(actor=actor, verb="review.draft_saved", target=assignment, data={})
        return review

    review.weighted_score = rules.weighted_score(
        (scores[criterion.pk], criterion.weight) for criterion in criteria
    )
    review.submitted_at = now
    review.save()
    assignment.state = AssignmentState.SUBMITTED
    assignment.save(update_fields=["state"])
    record(
        actor=actor,
        verb="review.submitted",
        target=application,
        from_state=AssignmentState.ACCEPTED,
        to_state=AssignmentState.SUBMITTED,
        data={"assignment_id": assignment.pk, "weighted_score": str(review.weighted_score)},
    )
    complete_if_reviewed(application, now=now)
    return review
