"""Reads of the awards area: calls, screening queue, decisions, letters, allocations.

The panel's reads live in panel_selectors and are re-exported here, so callers have one
import: `from allocations.awards import selectors`.
"""

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from allocations.applications.models import (
    Application,
    ApplicationState,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.awards.models import (
    OPEN_STATES,
    Allocation,
    AllocationMember,
    AllocationState,
    Decision,
    DecisionLine,
)
from allocations.awards.panel_selectors import (  # noqa: F401  (one import for callers)
    PANEL_PAGE_SIZE,
    PanelView,
    capacity_of,
    committed_by_resource,
    decision_page,
    panel,
    panel_comments_by_application,
    proposal_for,
    ranked_rows,
    remaining_capacity,
    review_summary,
)
from allocations.calls.models import Call, CallResource
from allocations.core.permissions import Capability, has_capability
from allocations.scheduler import selectors as scheduler_selectors

STAFF_PAGE_SIZE = 50
SCREENABLE_STATES = (ApplicationState.SUBMITTED, ApplicationState.SCREENING)

# --- Calls ----------------------------------------------------------------------------


def _with_capacities(queryset: QuerySet[Call]) -> QuerySet[Call]:
    return queryset.prefetch_related(
        Prefetch("capacities", queryset=CallResource.objects.select_related("resource"))
    )


def calls_for_awards() -> QuerySet[Call]:
    """Every call with the number of applications at each step of the decision (one query)."""

    def count(*states):
        return Count("applications", filter=Q(applications__state__in=states))

    return Call.objects.annotate(
        awaiting_screening=count(*SCREENABLE_STATES),
        in_review=count(
            ApplicationState.TECHNICAL_REVIEW, ApplicationState.PEER_REVIEW, ApplicationState.REPLY
        ),
        in_panel=count(ApplicationState.PANEL),
        waitlisted=count(ApplicationState.WAITLISTED),
        approved=count(ApplicationState.APPROVED),
        rejected=count(ApplicationState.REJECTED),
    ).order_by("-opens_at", "title")


def call_for_staff(*, pk: int) -> Call:
    return get_object_or_404(_with_capacities(Call.objects.all()), pk=pk)


# --- Screening ----------------------------------------------------------------------


def screening_queue(*, call: Call) -> QuerySet[Application]:
    """Applications of the call waiting for screening, oldest submission first."""
    return (
        Application.objects.filter(call=call, state__in=SCREENABLE_STATES)
        .select_related("project__organisation", "project__pi")
        .annotate(total_gpu_hours=Sum("requests__gpu_hours"))
        .order_by("submitted_at", "id")
    )


def _application_detail() -> QuerySet[Application]:
    return (
        Application.objects.exclude(state=ApplicationState.DRAFT)
        .filter(submitted_at__isnull=False)
        .select_related(
            "project__organisation",
            "project__pi",
            "call",
            "technical_assessment",
            "panel_entry",
            "screening",
        )
        .prefetch_related(
            Prefetch("requests", queryset=ResourceRequest.objects.select_related("resource")),
            Prefetch("call__capacities", queryset=CallResource.objects.select_related("resource")),
        )
    )


def application_for_staff(*, pk: int) -> Application:
    """Any submitted application with what screening and deciding show; drafts are 404."""
    return get_object_or_404(_application_detail(), pk=pk)


# --- Decisions and letters --------------------------------------------------------------


def decisions_for_call(*, call: Call) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(application__call=call)
        .select_related("application__project__organisation", "decided_by")
        .prefetch_related(
            Prefetch("lines", queryset=DecisionLine.objects.select_related("resource"))
        )
        .order_by("-decided_at", "-id")
    )


def _is_on_team(*, user, project_id: int) -> bool:
    return ProjectMember.objects.filter(project_id=project_id, user=user).exists()


def letter_for_download(*, user, application_pk: int) -> Decision:
    """The decision letter of an application, for its team and for staff; else 404."""
    decision = (
        Decision.objects.select_related("application")
        .filter(application_id=application_pk)
        .exclude(letter="")
        .first()
    )
    if decision is None:
        raise Http404
    if has_capability(user, Capability.VIEW_APPLICATIONS):
        return decision
    if not _is_on_team(user=user, project_id=decision.application.project_id):
        raise Http404
    return decision


# --- Allocations ------------------------------------------------------------------------


def awards_for_member(*, user) -> dict:
    """Decisions on the user's applications and the allocations of the user's projects."""
    mine = ProjectMember.objects.filter(user=user).values("project_id")
    decisions = (
        Decision.objects.filter(application__project_id__in=mine)
        .select_related("application__project", "application__call")
        .prefetch_related(
            Prefetch("lines", queryset=DecisionLine.objects.select_related("resource"))
        )
        .order_by("-decided_at", "-id")
    )
    allocations = (
        Allocation.objects.filter(project_id__in=mine)
        .select_related("project", "resource", "application")
        .order_by("-start_date", "-id")
    )
    return {"decisions": list(decisions), "allocations": list(allocations)}


def allocation_for_user(*, user, pk: int) -> Allocation:
    """An allocation for its project's team or for staff who see applications; else 404.

    Carries `my_role` (the user's team role or None) and `current_members`.
    """
    allocation = get_object_or_404(
        Allocation.objects.select_related(
            "project__organisation", "project__pi", "resource", "application__call"
        ).prefetch_related(
            Prefetch(
                "members",
                queryset=AllocationMember.objects.filter(removed_at__isnull=True)
                .select_related("user")
                .order_by("user__email"),
                to_attr="current_members",
            )
        ),
        pk=pk,
    )
    allocation.my_role = (
        ProjectMember.objects.filter(project_id=allocation.project_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if allocation.my_role is None and not has_capability(user, Capability.VIEW_APPLICATIONS):
        raise Http404
    return allocation


def allocation_page(*, user, pk: int, today) -> dict:
    """Everything the allocation page shows, and what this user may do on it."""
    allocation = allocation_for_user(user=user, pk=pk)
    is_staff = has_capability(user, Capability.VIEW_APPLICATIONS)
    may_decide = has_capability(user, Capability.DECIDE)
    is_open = allocation.state in OPEN_STATES
    leads = allocation.my_role in (TeamRole.PI, TeamRole.CO_PI)
    member_ids = {m.user_id for m in allocation.current_members}
    addable = []
    if is_open and (leads or may_decide):
        addable = [
            m
            for m in ProjectMember.objects.filter(project_id=allocation.project_id)
            .select_related("user")
            .order_by("user__email")
            if m.user_id not in member_ids
        ]
    cluster, account = allocation.resource.cluster, allocation.slurm_account
    return {
        "allocation": allocation,
        "sync": scheduler_selectors.account_status(cluster=cluster, name=account),
        "operations": (
            scheduler_selectors.operations_for_account(cluster=cluster, name=account)
            if is_staff
            else []
        ),
        "is_staff": is_staff,
        "can_decline": (
            allocation.my_role == TeamRole.PI and is_open and today < allocation.start_date
        ),
        "can_close": may_decide and is_open,
        "can_suspend": may_decide and allocation.state == AllocationState.ACTIVE,
        "can_resume": may_decide and allocation.state == AllocationState.SUSPENDED,
        "can_manage_members": is_open and (leads or may_decide),
        "addable_members": addable,
        "can_request_change": leads and allocation.state != AllocationState.CLOSED,
        "change_requests": list(
            allocation.change_requests.select_related("requested_by", "decided_by").order_by(
                "-requested_at", "-id"
            )
        ),
    }


def staff_allocations(*, state: str = "", call_id: int | None = None) -> QuerySet[Allocation]:
    queryset = Allocation.objects.select_related(
        "project__organisation", "resource", "application__call"
    ).order_by("-created_at", "-id")
    if state:
        queryset = queryset.filter(state=state)
    if call_id:
        queryset = queryset.filter(application__call_id=call_id)
    return queryset
