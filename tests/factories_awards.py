"""Helpers for the awards tests: calls with capacity, applications at a given step, and
the review rows the panel reads (created directly, independent of the reviews views)."""

from datetime import timedelta
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards.models import PanelEntry
from allocations.reviews.models import (
    AssignmentState,
    Feasibility,
    Review,
    ReviewAssignment,
    ReviewScore,
    TechnicalAssessment,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CallResourceFactory,
    OrganisationFactory,
    ProjectFactory,
    ResourceRequestFactory,
    RubricCriterionFactory,
    UserFactory,
)

# A tiny but valid PDF, for tests that do not look inside the letter.
FAKE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


class ReviewAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewAssignment

    application = factory.SubFactory(ApplicationFactory)
    reviewer = factory.SubFactory(UserFactory)
    state = AssignmentState.SUBMITTED
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    assignment = factory.SubFactory(ReviewAssignmentFactory)
    comment_applicant = factory.Sequence(lambda n: f"Applicant comment {n}")
    comment_panel = factory.Sequence(lambda n: f"Panel-only remark {n}")
    weighted_score = Decimal("3.000")
    submitted_at = factory.LazyFunction(timezone.now)


class TechnicalAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicalAssessment

    application = factory.SubFactory(ApplicationFactory)
    assessor = factory.SubFactory(UserFactory)
    feasibility = Feasibility.FEASIBLE
    recommended_gpu_hours = 1000
    comments = "Runs well on H200 nodes."


def call_with_capacity(*, capacities=(10_000,), criteria=1, **kwargs):
    """A published call with one resource per capacity, and a rubric."""
    call = CallFactory(**kwargs)
    rows = [CallResourceFactory(call=call, capacity_gpu_hours=c) for c in capacities]
    for _ in range(criteria):
        RubricCriterionFactory(call=call)
    return call, rows


def application_at(
    call, *, state=ApplicationState.PANEL, hours=1000, pi=None, resident=False, **kwargs
):
    """A submitted application of a new project in `state`.

    `hours` is an int (first resource of the call) or a {resource_id: hours} dict. The
    organisation is foreign unless `resident` (the factories know only five valid BINs).
    """
    organisation = OrganisationFactory() if resident else OrganisationFactory(foreign=True)
    extra = {"pi": pi} if pi is not None else {}
    project = ProjectFactory(organisation=organisation, **extra)
    kwargs.setdefault("submitted_at", timezone.now())
    application = ApplicationFactory(project=project, call=call, state=state, **kwargs)
    if isinstance(hours, int):
        first = call.capacities.order_by("resource__name", "id").first()
        hours = {first.resource_id: hours}
    for resource_id, amount in hours.items():
        ResourceRequestFactory(application=application, resource_id=resource_id, gpu_hours=amount)
    return application


def add_reviews(application, scores, *, recommended=None, reviewers=None, **review_kwargs):
    """Submitted reviews with these weighted scores (one reviewer each), with a score row."""
    criterion = application.call.criteria.first()
    reviews = []
    for index, score in enumerate(scores):
        reviewer = reviewers[index] if reviewers else UserFactory()
        assignment = ReviewAssignmentFactory(application=application, reviewer=reviewer)
        review = ReviewFactory(
            assignment=assignment,
            weighted_score=Decimal(str(score)),
            recommended_gpu_hours=recommended,
            **review_kwargs,
        )
        if criterion is not None:
            ReviewScore.objects.create(review=review, criterion=criterion, score=int(score))
        reviews.append(review)
    return reviews


def set_panel_entry(application, *, position=None, proposed=None):
    return PanelEntry.objects.update_or_create(
        application=application,
        defaults={"position": position, "proposed_gpu_hours": proposed},
    )[0]


@pytest.fixture
def fast_letters(monkeypatch):
    """Skip WeasyPrint where a test does not read the letter (import this fixture)."""
    monkeypatch.setattr(
        "allocations.awards.letters.render_decision_letter", lambda **kwargs: FAKE_PDF
    )


@pytest.fixture
def fast_passwords(settings):
    """Cheap password hashing: these tests create many users (import this fixture)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def approve_application(actor, application, hours, *, start=None, end=None, **kwargs):
    """Approve `application` through the decision service (hours: int or per resource)."""
    from allocations.awards import services
    from allocations.awards.models import DecisionOutcome

    start = start or timezone.localdate()
    amounts = hours if isinstance(hours, dict) else {application.requests.get().resource_id: hours}
    return services.decide(
        actor=actor,
        application_id=application.pk,
        outcome=DecisionOutcome.APPROVED,
        reason="Funded.",
        amounts=amounts,
        start_date=start,
        end_date=end or start + timedelta(days=180),
        now=timezone.now(),
        **kwargs,
    )
