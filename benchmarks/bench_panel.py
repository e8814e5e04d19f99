"""Panel page of a call with 2,000 applications in panel state, 3 submitted reviews each
(issue 3)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import Organisation, OrganisationCategory, User
from allocations.applications.models import (
    Application,
    ApplicationState,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.awards.models import PanelEntry
from allocations.calls.models import Call, CallResource, Resource, Track
from allocations.reviews.models import (
    AssignmentState,
    Feasibility,
    Review,
    ReviewAssignment,
    TechnicalAssessment,
)
from benchmarks.common import bench, call_manager_client, time_page

APPLICATIONS = 2_000
REVIEWS_EACH = 3


def _seed(*, call: Call, resource: Resource, pis: list[User], reviewers: list[User]) -> None:
    now = timezone.now()
    orgs = Organisation.objects.bulk_create(
        Organisation(
            legal_name=f"Panel Org {i}",
            bin=None,
            country="DE",
            category=OrganisationCategory.STARTUP,
        )
        for i in range(APPLICATIONS)
    )
    projects = Project.objects.bulk_create(
        Project(title=f"Panel project {i}", organisation=orgs[i], pi=pis[i % len(pis)])
        for i in range(APPLICATIONS)
    )
    ProjectMember.objects.bulk_create(
        ProjectMember(project=p, user=p.pi, role=TeamRole.PI) for p in projects
    )
    applications = Application.objects.bulk_create(
        Application(
            project=p,
            call=call,
            state=ApplicationState.PANEL,
            submitted_at=now - timedelta(minutes=i),
            start_date=now.date(),
            duration_months=6,
            justification="Benchmark",
            created_by=p.pi,
        )
        for i, p in enumerate(projects)
    )
    ResourceRequest.objects.bulk_create(
        ResourceRequest(application=a, resource=resource, gpu_hours=1000 + i % 5000)
        for i, a in enumerate(applications)
    )
    assignments = ReviewAssignment.objects.bulk_create(
        ReviewAssignment(
            application=a,
            reviewer=reviewers[(i + k) % len(reviewers)],
            state=AssignmentState.SUBMITTED,
            due_at=now,
        )
        for i, a in enumerate(applications)
        for k in range(REVIEWS_EACH)
    )
    Review.objects.bulk_create(
        Review(
            assignment=assignment,
            comment_applicant="Clear plan.",
            comment_panel="Fund if capacity allows.",
            recommended_gpu_hours=800 + j % 700,
            weighted_score=Decimal(1 + (j * 37) % 400) / 100,
            submitted_at=now,
        )
        for j, assignment in enumerate(assignments)
    )
    assessor = reviewers[0]
    TechnicalAssessment.objects.bulk_create(
        TechnicalAssessment(
            application=a,
            assessor=assessor,
            feasibility=Feasibility.FEASIBLE,
            recommended_gpu_hours=900,
        )
        for a in applications[::3]
    )
    PanelEntry.objects.bulk_create(
        PanelEntry(application=a, position=i + 1) for i, a in enumerate(applications[:20])
    )


def run() -> None:
    resource = Resource.objects.create(
        name="Panel H200", cluster="bench", partition="panel", capacity_gpu_hours=10**9
    )
    call = Call.objects.create(
        title="Panel bench call",
        slug="panel-bench-call",
        track=Track.ACADEMIC,
        is_published=True,
        is_continuous=True,
        opens_at=timezone.now() - timedelta(days=1),
        eligible_categories=[c.value for c in OrganisationCategory],
    )
    CallResource.objects.create(call=call, resource=resource, capacity_gpu_hours=1_500_000)
    pis = [User.objects.create_user(f"panel-pi{i}@bench.kz", "x") for i in range(100)]
    reviewers = [User.objects.create_user(f"panel-rev{i}@bench.kz", "x") for i in range(30)]
    client = call_manager_client("panel-manager@bench.kz")
    _seed(call=call, resource=resource, pis=pis, reviewers=reviewers)

    median, queries = time_page(client, reverse("awards:panel", args=[call.pk]))
    bench("panel_2000_median_ms", f"{median:.1f}", "ms")
    bench("panel_2000_queries", queries, "queries")
