"""The demo's H200 resource, its two calls (startup, academic) with their rubric, and the
applicants' projects with one application each, as drafts, submitted or withdrawn."""

from datetime import timedelta

from allocations.accounts.models import Organisation, OrganisationCategory, User
from allocations.applications.models import (
    Application,
    ApplicationState,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.calls.models import Call, CallResource, Resource, RubricCriterion, Track
from allocations.core import audit

RUBRIC = [
    ("Scientific or business merit", "0.40"),
    ("Technical readiness", "0.30"),
    ("Impact for Kazakhstan", "0.30"),
]
# (owner's index in people.APPLICANTS, title, field of science, abstract, call slug,
# GPU-hours requested, state of the application). The owner's organisation is theirs.
PROJECTS = [
    (0, "KazLLM: a Kazakh foundation model", "Computer science",
     "Pre-training a 13B-parameter model on Kazakh and Russian text.",
     "startup-2027-q1", 40_000, ApplicationState.SUBMITTED),
    (0, "Steppe Speech", "Computer science", "Speech recognition for Kazakh call centres.",
     "startup-2027-q1", 8_000, ApplicationState.DRAFT),
    (1, "Climate downscaling for Central Asia", "Earth sciences",
     "Neural downscaling of climate projections.",
     "academic-continuous", 25_000, ApplicationState.SUBMITTED),
    (1, "Wheat genomics with protein LMs", "Biology",
     "Protein language models for drought-resistant wheat.",
     "academic-continuous", 12_000, ApplicationState.WITHDRAWN),
    (2, "Pipeline inspection vision", "Engineering",
     "Computer vision for oil pipeline inspection.",
     "startup-2027-q1", 5_000, ApplicationState.SUBMITTED),
    (0, "Satellite crop monitoring", "Earth observation",
     "Segmentation of Sentinel-2 imagery for wheat yield forecasts.",
     "startup-2027-q1", 15_000, ApplicationState.SUBMITTED),
]  # fmt: skip


def load_resource() -> Resource:
    h200, _ = Resource.objects.get_or_create(
        name="H200 GPU partition",
        defaults={
            "cluster": "kazgpu",
            "partition": "h200",
            "gpu_type": "NVIDIA H200 141GB",
            "gpus_per_node": 8,
            "node_count": 64,
            "capacity_gpu_hours": 1_000_000,
            "description": "64 nodes × 8 NVIDIA H200, NVLink, InfiniBand NDR.",
        },
    )
    return h200


def load_calls(*, h200: Resource, now) -> dict[str, Call]:
    """The two open calls by slug, each with H200 capacity and the same rubric."""
    startup_call, _ = Call.objects.get_or_create(
        slug="startup-2027-q1",
        defaults={
            "title": "Startup compute grants 2027 Q1",
            "track": Track.STARTUP,
            "description": "Discounted GPU-hours for Kazakh AI startups.",
            "is_published": True,
            "opens_at": now - timedelta(days=10),
            "closes_at": now + timedelta(days=50),
            "eligible_categories": [OrganisationCategory.STARTUP, OrganisationCategory.COMPANY],
            "reviewers_per_application": 2,
        },
    )
    academic_call, _ = Call.objects.get_or_create(
        slug="academic-continuous",
        defaults={
            "title": "Academic access (continuous)",
            "track": Track.ACADEMIC,
            "description": "Free GPU-hours for universities and research centres.",
            "is_published": True,
            "is_continuous": True,
            "opens_at": now - timedelta(days=90),
            "eligible_categories": [OrganisationCategory.UNIVERSITY, OrganisationCategory.RESEARCH],
            "reviewers_per_application": 2,
        },
    )
    for call, capacity in ((startup_call, 200_000), (academic_call, 300_000)):
        CallResource.objects.get_or_create(
            call=call, resource=h200, defaults={"capacity_gpu_hours": capacity}
        )
        for position, (name, weight) in enumerate(RUBRIC):
            RubricCriterion.objects.get_or_create(
                call=call, name=name, defaults={"weight": weight, "position": position}
            )
    return {call.slug: call for call in (startup_call, academic_call)}


def _project(pi: User, org: Organisation, title: str, field: str, abstract: str) -> Project:
    project, _ = Project.objects.get_or_create(
        title=title,
        organisation=org,
        defaults={"pi": pi, "field_of_science": field, "abstract": abstract},
    )
    ProjectMember.objects.get_or_create(project=project, user=pi, defaults={"role": TeamRole.PI})
    return project


def _application(project, call, resource, hours, state, now, actor) -> Application:
    existing = Application.objects.filter(project=project, call=call).first()
    if existing:
        return existing
    application = Application.objects.create(
        project=project,
        call=call,
        created_by=actor,
        start_date=(now + timedelta(days=45)).date(),
        duration_months=6,
        justification=(
            "We train and evaluate language models for Kazakh and Russian. "
            "The request covers pre-training on 8 nodes and ablation runs."
        ),
        software_and_data="PyTorch 2, Megatron-LM, 3 TB of curated text; checkpoints on Lustre.",
    )
    ResourceRequest.objects.create(application=application, resource=resource, gpu_hours=hours)
    audit.record(actor=actor, verb="application.created", target=application, to_state="draft")
    if state != ApplicationState.DRAFT:
        Application.objects.filter(pk=application.pk).update(
            state=ApplicationState.SUBMITTED, submitted_at=now - timedelta(days=3)
        )
        audit.record(
            actor=actor,
            verb="application.submitted",
            target=application,
            from_state="draft",
            to_state="submitted",
        )
    if state == ApplicationState.WITHDRAWN:
        Application.objects.filter(pk=application.pk).update(state=state)
        audit.record(
            actor=actor,
            verb="application.withdrawn",
            target=application,
            from_state="submitted",
            to_state="withdrawn",
            data={"reason": "Funding for the project was postponed."},
        )
    application.refresh_from_db()
    return application


def load_applications(*, applicants, organisations, calls, h200, now) -> None:
    """PROJECTS, each with its application, made by its PI."""
    for owner, title, field, abstract, slug, hours, state in PROJECTS:
        pi, org = applicants[owner], organisations[owner]
        project = _project(pi, org, title, field, abstract)
        _application(project, calls[slug], h200, hours, state, now, pi)
