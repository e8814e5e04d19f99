"""Staff application list at 1,000 and 10,000 submitted applications (issue 2)."""

from datetime import timedelta

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
from allocations.calls.models import Call, CallResource, Resource, Track
from benchmarks.common import bench, call_manager_client, time_page

CATEGORIES = [c.value for c in OrganisationCategory]


def _seed(*, total: int, start: int, call: Call, resource: Resource, pis: list[User]) -> None:
    """Add applications numbered start..total-1, each with its own project and organisation."""
    now = timezone.now()
    count = total - start
    orgs = Organisation.objects.bulk_create(
        Organisation(
            legal_name=f"Bench Org {i}",
            bin=None,
            country="DE",
            category=CATEGORIES[i % len(CATEGORIES)],
        )
        for i in range(start, total)
    )
    projects = Project.objects.bulk_create(
        Project(title=f"Bench project {i}", organisation=orgs[i - start], pi=pis[i % len(pis)])
        for i in range(start, total)
    )
    ProjectMember.objects.bulk_create(
        ProjectMember(project=p, user=p.pi, role=TeamRole.PI) for p in projects
    )
    states = [ApplicationState.SUBMITTED, ApplicationState.SCREENING, ApplicationState.PEER_REVIEW]
    applications = Application.objects.bulk_create(
        Application(
            project=p,
            call=call,
            state=states[i % len(states)],
            submitted_at=now - timedelta(minutes=i),
            start_date=now.date(),
            duration_months=6,
            justification="Benchmark",
            created_by=p.pi,
        )
        for i, p in enumerate(projects, start=start)
    )
    ResourceRequest.objects.bulk_create(
        ResourceRequest(application=a, resource=resource, gpu_hours=1000 + i % 5000)
        for i, a in enumerate(applications)
    )
    assert count == len(applications)


def run() -> None:
    resource = Resource.objects.create(
        name="Bench H200", cluster="bench", partition="h200", capacity_gpu_hours=10**9
    )
    call = Call.objects.create(
        title="Bench call",
        slug="bench-call",
        track=Track.STARTUP,
        is_published=True,
        is_continuous=True,
        opens_at=timezone.now() - timedelta(days=1),
        eligible_categories=CATEGORIES,
    )
    CallResource.objects.create(call=call, resource=resource, capacity_gpu_hours=10**8)
    pis = [User.objects.create_user(f"pi{i}@bench.kz", "x") for i in range(200)]
    client = call_manager_client("manager@bench.kz")
    url = reverse("applications:staff_list")

    _seed(total=1_000, start=0, call=call, resource=resource, pis=pis)
    median_1k, queries_1k = time_page(client, url)
    _seed(total=10_000, start=1_000, call=call, resource=resource, pis=pis)
    median_10k, queries_10k = time_page(client, url)

    bench("applications_list_1k_median_ms", f"{median_1k:.1f}", "ms")
    bench("applications_list_10k_median_ms", f"{median_10k:.1f}", "ms")
    bench("applications_list_1k_queries", queries_1k, "queries")
    bench("applications_list_10k_queries", queries_10k, "queries")
