"""The technical assessment: recorded once (technical_review → peer_review), then correctable
until the panel sees the application."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import ApplicationState
from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.reviews import rules
from allocations.reviews.models import Feasibility, TechnicalAssessment
from allocations.reviews.phase_services import complete_if_reviewed, lock_application


def _value_errors(*, feasibility: str, recommended_gpu_hours) -> dict:
    errors = {}
    if feasibility not in Feasibility.values:
        errors["feasibility"] = [_("Choose feasible, partially feasible or not feasible.")]
    if recommended_gpu_hours is None or recommended_gpu_hours < 1:
        errors["recommended_gpu_hours"] = [_("Enter a whole number of GPU-hours of at least 1.")]
    return errors


@transaction.atomic
def save_assessment(
    *,
    actor,
    application_id: int,
    feasibility: str,
    recommended_gpu_hours: int | None,
    comments: str,
    now,
) -> TechnicalAssessment:
    """Record the assessment (moves the application to peer review) or correct it."""
    require(actor, Capability.ASSESS)
    application = lock_application(application_id)
    errors = _value_errors(feasibility=feasibility, recommended_gpu_hours=recommended_gpu_hours)
    if errors:
        raise ValidationError(errors)
    values = {
        "feasibility": feasibility,
        "recommended_gpu_hours": recommended_gpu_hours,
        "comments": comments.strip(),
    }
    assessment = TechnicalAssessment.objects.filter(application=application).first()
    if assessment is None:
        if application.state != ApplicationState.TECHNICAL_REVIEW:
            raise ValidationError(_("This application is not waiting for a technical assessment."))
        assessment = TechnicalAssessment.objects.create(
            application=application, assessor=actor, **values
        )
        application.state = ApplicationState.PEER_REVIEW
        application.save(update_fields=["state", "updated_at"])
        record(
            actor=actor,
            verb="application.assessed",
            target=application,
            from_state=ApplicationState.TECHNICAL_REVIEW,
            to_state=ApplicationState.PEER_REVIEW,
            data={"feasibility": feasibility, "recommended_gpu_hours": recommended_gpu_hours},
        )
        # Reviewers may have finished while the assessment was pending.
        complete_if_reviewed(application, now=now)
        return assessment

    if application.state not in rules.ASSESSABLE_STATES:
        raise ValidationError(
            _("The panel has this application now: its assessment can no longer be changed.")
        )
    changed = [name for name, value in values.items() if getattr(assessment, name) != value]
    if not changed:
        return assessment
    previous = {name: getattr(assessment, name) for name in changed}
    for name, value in values.items():
        setattr(assessment, name, value)
    assessment.assessor = actor
    assessment.save()
    record(
        actor=actor,
        verb="assessment.updated",
        target=application,
        data={"changed": changed, "previous": {k: previous[k] for k in changed if k != "comments"}},
    )
    return assessment
