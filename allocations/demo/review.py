"""The demo's applications driven through the review workflow by the real services, so
audit timelines, notifications, letters and allocations are genuine: one in the screening
queue, one with its right to reply open, one waiting on the panel, two approved (one with
a supplement requested)."""

from datetime import timedelta
from functools import partial

from allocations.accounts.models import Role, User
from allocations.applications.models import Application, ApplicationState

REVIEW_TEXT = {
    "comment_applicant": (
        "A well-prepared request. The scaling plan is convincing; please report the "
        "tokens processed per GPU-hour at the end of the allocation."
    ),
    "comment_panel": "Strong team; the data pipeline is the main risk.",
}
# Reviewers in the pool, with the keywords they are matched on.
REVIEWER_EXPERTISE = {
    "reviewer1@demo.kz": ["nlp", "language", "speech", "models"],
    "reviewer2@demo.kz": ["vision", "climate", "hpc", "models"],
}


def _walk_to_panel(application, *, manager, assessor, reviewers, pi, now, reply: bool):
    """Screen, assess, review twice and (optionally) reply, through the services."""
    from allocations.awards.screening_services import screen_application
    from allocations.reviews.assessment_services import save_assessment
    from allocations.reviews.assignment_services import (
        accept_assignment,
        assign_reviewer,
        declare_conflicts,
    )
    from allocations.reviews.reply_services import submit_reply
    from allocations.reviews.review_services import save_review

    screen_application(
        actor=manager, application_id=application.pk, eligible=True, reason="", now=now
    )
    requested = sum(r.gpu_hours for r in application.requests.all())
    save_assessment(
        actor=assessor,
        application_id=application.pk,
        feasibility="feasible",
        recommended_gpu_hours=requested * 9 // 10,
        comments="Runs well on 8-GPU nodes; checkpoint every 2 hours.",
        now=now,
    )
    criteria = list(application.call.criteria.all())
    for offset, reviewer in enumerate(reviewers):
        assignment = assign_reviewer(
            actor=manager,
            application_id=application.pk,
            reviewer_id=reviewer.pk,
            due_at=now + timedelta(days=14),
            now=now,
        )
        accept_assignment(actor=reviewer, assignment_id=assignment.pk, now=now)
        declare_conflicts(
            actor=reviewer,
            assignment_id=assignment.pk,
            has_conflict=False,
            statement="",
            now=now,
        )
        save_review(
            actor=reviewer,
            assignment_id=assignment.pk,
            scores={c.pk: 4 + (offset + c.pk) % 2 for c in criteria},
            recommended_gpu_hours=requested * 8 // 10,
            submit=True,
            now=now,
            **REVIEW_TEXT,
        )
    if reply:
        submit_reply(
            actor=pi,
            application_id=application.pk,
            now=now,
            text="Thank you. We will report throughput per GPU-hour as asked.",
        )


def load_review_workflow(*, staff, founder, researcher, engineer, now) -> None:
    """Applications at each stage: screening queue, reply open, panel, approved."""
    from allocations.awards.change_services import request_change
    from allocations.awards.decision_services import decide
    from allocations.reviews.pool_services import add_to_pool

    if Application.objects.filter(state=ApplicationState.APPROVED).exists():
        return  # already loaded
    manager, assessor = staff[Role.CALL_MANAGER], staff[Role.TECHNICAL_ASSESSOR]
    reviewers = [User.objects.get(email=email) for email in REVIEWER_EXPERTISE]
    for reviewer in reviewers:
        add_to_pool(
            actor=manager,
            email=reviewer.email,
            max_active_assignments=6,
            is_active=True,
            expertise=REVIEWER_EXPERTISE[reviewer.email],
        )
    walk_to_panel = partial(
        _walk_to_panel, manager=manager, assessor=assessor, reviewers=reviewers, now=now
    )

    kazllm = Application.objects.get(project__title__startswith="KazLLM")
    walk_to_panel(kazllm, pi=founder, reply=True)
    decide(
        actor=manager,
        application_id=kazllm.pk,
        outcome="approved",
        reason="Ranked first by the panel.",
        now=now,
        amounts={r.resource_id: r.gpu_hours * 9 // 10 for r in kazllm.requests.all()},
        # Started six weeks ago, so the demo has usage (and last month to invoice).
        start_date=(now - timedelta(days=45)).date(),
        end_date=(now - timedelta(days=45) + timedelta(days=182)).date(),
    )
    # The founder already asks for more: the call manager finds it under
    # "Extensions and supplements".
    request_change(
        actor=founder,
        allocation_id=kazllm.allocations.order_by("pk").first().pk,
        kind="supplement",
        justification="A Kazakh-Russian speech corpus arrived early; we want to add it "
        "to the pre-training mix.",
        requested_gpu_hours=5_000,
        now=now,
    )
    crops = Application.objects.get(project__title="Satellite crop monitoring")
    walk_to_panel(crops, pi=founder, reply=True)  # waits on the panel for a decision
    # An academic (free) allocation, running for a month: its usage shows the value given.
    climate = Application.objects.get(project__title__startswith="Climate downscaling")
    walk_to_panel(climate, pi=researcher, reply=False)
    _close_reply_and_decide(climate, manager=manager, now=now)
    vision = Application.objects.get(project__title="Pipeline inspection vision")
    walk_to_panel(vision, pi=engineer, reply=False)  # its right to reply is open


def _close_reply_and_decide(application, *, manager, now) -> None:
    """Move an application whose reply window is open to the panel and approve it."""
    from allocations.awards.decision_services import decide
    from allocations.reviews.reply_services import close_reply_window

    application.refresh_from_db()
    if application.state == ApplicationState.REPLY:
        close_reply_window(actor=manager, application_id=application.pk, reason="", now=now)
    decide(
        actor=manager,
        application_id=application.pk,
        outcome="approved",
        reason="Strong science case; free academic access.",
        now=now,
        amounts={r.resource_id: r.gpu_hours for r in application.requests.all()},
        start_date=(now - timedelta(days=30)).date(),
        end_date=(now - timedelta(days=30) + timedelta(days=365)).date(),
    )
