"""Demo data for `make run`: staff of every role, applicants, an H200 resource, two calls
and applications in every stage of the review workflow, driven through the real services
(so audit timelines, notifications, letters and allocations are genuine). Idempotent: a
second run changes nothing. Lives above the domain packages because it uses all of them.

Demo staff are enrolled in TOTP with one shared, printed secret so a newcomer can sign in;
`python manage.py totp_code` prints the current code.
"""

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from allocations.accounts.models import (
    STAFF_ROLES,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationCategory,
    Role,
    RoleGrant,
    User,
)
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

DEMO_PASSWORD = "demo-password-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    needs_totp: bool


STAFF = [
    ("admin@demo.kz", "Aigerim Admin", Role.ADMIN),
    ("manager@demo.kz", "Marat Call-Manager", Role.CALL_MANAGER),
    ("assessor@demo.kz", "Timur Assessor", Role.TECHNICAL_ASSESSOR),
    ("finance@demo.kz", "Dana Finance", Role.FINANCE),
    ("imports@demo.kz", "Yerlan Import-Desk", Role.IMPORT_DESK),
    ("reviewer1@demo.kz", "Prof. Saule Reviewer", Role.REVIEWER),
    ("reviewer2@demo.kz", "Dr. Arman Reviewer", Role.REVIEWER),
]
APPLICANTS = [
    ("founder@startup.demo.kz", "Alia Founder", "alia"),
    ("researcher@university.demo.kz", "Nurlan Researcher", "nurlan"),
    ("engineer@company.demo.kz", "Olga Engineer", "olga"),
]


def _user(email: str, name: str, cluster_username: str | None = None) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "cluster_username": cluster_username}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _staff(email: str, name: str, role: str) -> User:
    user = _user(email, name)
    RoleGrant.objects.get_or_create(user=user, role=role)
    if role == Role.ADMIN:
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    if (
        role in STAFF_ROLES
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def _organisation(owner: User, **fields) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        legal_name=fields.pop("legal_name"), defaults={**fields, "created_by": owner}
    )
    Membership.objects.get_or_create(
        organisation=org, user=owner, defaults={"role": MembershipRole.OWNER}
    )
    return org


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


REVIEW_TEXT = {
    "comment_applicant": (
        "A well-prepared request. The scaling plan is convincing; please report the "
        "tokens processed per GPU-hour at the end of the allocation."
    ),
    "comment_panel": "Strong team; the data pipeline is the main risk.",
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


def _load_review_workflow(*, staff, founder, researcher, engineer, now) -> None:
    """Applications at each stage: screening queue, reply open, panel, approved."""
    from allocations.awards.decision_services import decide
    from allocations.reviews.pool_services import add_to_pool

    if Application.objects.filter(state=ApplicationState.APPROVED).exists():
        return  # already loaded
    manager, assessor = staff[Role.CALL_MANAGER], staff[Role.TECHNICAL_ASSESSOR]
    reviewer1 = User.objects.get(email="reviewer1@demo.kz")
    reviewer2 = User.objects.get(email="reviewer2@demo.kz")
    add_to_pool(
        actor=manager,
        email=reviewer1.email,
        max_active_assignments=6,
        is_active=True,
        expertise=["nlp", "language", "speech", "models"],
    )
    add_to_pool(
        actor=manager,
        email=reviewer2.email,
        max_active_assignments=6,
        is_active=True,
        expertise=["vision", "climate", "hpc", "models"],
    )
    reviewers = [reviewer1, reviewer2]

    kazllm = Application.objects.get(project__title__startswith="KazLLM")
    _walk_to_panel(
        kazllm,
        manager=manager,
        assessor=assessor,
        reviewers=reviewers,
        pi=founder,
        now=now,
        reply=True,
    )
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
    from allocations.awards.change_services import request_change

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
    _walk_to_panel(
        crops,
        manager=manager,
        assessor=assessor,
        reviewers=reviewers,
        pi=founder,
        now=now,
        reply=True,
    )  # waits on the panel for a decision
    # An academic (free) allocation, running for a month: its usage shows the value given.
    climate = Application.objects.get(project__title__startswith="Climate downscaling")
    _walk_to_panel(
        climate,
        manager=manager,
        assessor=assessor,
        reviewers=reviewers,
        pi=User.objects.get(email="researcher@university.demo.kz"),
        now=now,
        reply=False,
    )
    _close_reply_and_decide(climate, manager=manager, now=now)
    vision = Application.objects.get(project__title="Pipeline inspection vision")
    _walk_to_panel(
        vision,
        manager=manager,
        assessor=assessor,
        reviewers=reviewers,
        pi=engineer,
        now=now,
        reply=False,
    )  # its right to reply is open


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


def _load_billing(*, h200, now) -> None:
    """The seller, tariffs per organisation category (a price change in mid-November for
    startups, so an invoice shows split lines)."""
    from decimal import Decimal

    from allocations.billing.models import SellerProfile, Tariff

    if not SellerProfile.objects.exists():
        SellerProfile.objects.create(
            name_kk="«Ұлттық суперкомпьютер орталығы» АҚ",
            name_ru="АО «Национальный суперкомпьютерный центр»",
            name_en="National Supercomputer Centre JSC",
            bin="990140004654",
            address_kk="Астана қ., Мәңгілік Ел д-лы, 55",
            address_ru="г. Астана, пр. Мангилик Ел, 55",
            address_en="55 Mangilik El Ave, Astana",
            iik="KZ86125KZT5004100100",
            bik="HSBKKZKX",
            bank_name="Halyk Bank of Kazakhstan JSC",
            kbe="16",
            director="A. Serikbayev",
            accountant="G. Nurlanova",
        )
    prices = {
        OrganisationCategory.STARTUP: [("2026-01-01", "2026-11-15", "1100.00"),
                                       ("2026-11-15", None, "1200.00")],
        OrganisationCategory.COMPANY: [("2026-01-01", None, "2400.00")],
        OrganisationCategory.UNIVERSITY: [("2026-01-01", None, "900.00")],
        OrganisationCategory.RESEARCH: [("2026-01-01", None, "900.00")],
        OrganisationCategory.GOVERNMENT: [("2026-01-01", None, "1500.00")],
    }  # fmt: skip
    for category, periods in prices.items():
        for valid_from, valid_to, price in periods:
            Tariff.objects.get_or_create(
                resource=h200,
                category=category,
                valid_from=valid_from,
                defaults={"valid_to": valid_to, "price_per_gpu_hour": Decimal(price)},
            )


@transaction.atomic
def load_demo(*, now=None) -> list[DemoLogin]:
    now = now or timezone.now()
    staff = {role: _staff(email, name, role) for email, name, role in STAFF}
    founder, researcher, engineer = (_user(e, n, login) for e, n, login in APPLICANTS)

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
    startup_call, created = Call.objects.get_or_create(
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
        for position, (name, weight) in enumerate(
            [
                ("Scientific or business merit", "0.40"),
                ("Technical readiness", "0.30"),
                ("Impact for Kazakhstan", "0.30"),
            ]
        ):
            RubricCriterion.objects.get_or_create(
                call=call, name=name, defaults={"weight": weight, "position": position}
            )

    startup = _organisation(
        founder,
        legal_name="Steppe AI LLP",
        bin="940140000385",
        category=OrganisationCategory.STARTUP,
        country="KZ",
        address="Astana, Mangilik El 55/20",
    )
    university = _organisation(
        researcher,
        legal_name="Al-Farabi Research University",
        bin="950341000052",
        category=OrganisationCategory.UNIVERSITY,
        country="KZ",
        address="Almaty, al-Farabi 71",
    )
    company = _organisation(
        engineer,
        legal_name="Caspian Analytics GmbH",
        bin=None,
        category=OrganisationCategory.COMPANY,
        country="DE",
        address="Berlin, Friedrichstr. 1",
    )
    Membership.objects.get_or_create(
        organisation=startup, user=engineer, defaults={"role": MembershipRole.BILLING}
    )

    kazllm = _project(
        founder,
        startup,
        "KazLLM: a Kazakh foundation model",
        "Computer science",
        "Pre-training a 13B-parameter model on Kazakh and Russian text.",
    )
    speech = _project(
        founder,
        startup,
        "Steppe Speech",
        "Computer science",
        "Speech recognition for Kazakh call centres.",
    )
    climate = _project(
        researcher,
        university,
        "Climate downscaling for Central Asia",
        "Earth sciences",
        "Neural downscaling of climate projections.",
    )
    genomics = _project(
        researcher,
        university,
        "Wheat genomics with protein LMs",
        "Biology",
        "Protein language models for drought-resistant wheat.",
    )
    vision = _project(
        engineer,
        company,
        "Pipeline inspection vision",
        "Engineering",
        "Computer vision for oil pipeline inspection.",
    )

    _application(kazllm, startup_call, h200, 40_000, ApplicationState.SUBMITTED, now, founder)
    _application(speech, startup_call, h200, 8_000, ApplicationState.DRAFT, now, founder)
    _application(climate, academic_call, h200, 25_000, ApplicationState.SUBMITTED, now, researcher)
    _application(genomics, academic_call, h200, 12_000, ApplicationState.WITHDRAWN, now, researcher)
    _application(vision, startup_call, h200, 5_000, ApplicationState.SUBMITTED, now, engineer)
    crops = _project(
        founder,
        startup,
        "Satellite crop monitoring",
        "Earth observation",
        "Segmentation of Sentinel-2 imagery for wheat yield forecasts.",
    )
    _application(crops, startup_call, h200, 15_000, ApplicationState.SUBMITTED, now, founder)

    _load_review_workflow(
        staff=staff, founder=founder, researcher=researcher, engineer=engineer, now=now
    )
    _load_billing(h200=h200, now=now)

    logins = [DemoLogin(e, Role(r).label, r in STAFF_ROLES) for e, _, r in STAFF]
    logins += [DemoLogin(e, str(Role.APPLICANT.label), False) for e, _, _ in APPLICANTS]
    return logins
