"""Reads of the applications area: who may see which project, application or file.

Applicants see only what belongs to projects they are on the team of; anything else is
a 404 so that ids reveal nothing. Staff with VIEW_APPLICATIONS see every application that
has left the draft state.
"""

import re
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation
from allocations.applications.models import (
    Application,
    ApplicationState,
    Attachment,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.calls.models import Call, CallResource
from allocations.core.audit import timeline_for
from allocations.core.permissions import Capability, has_capability

STAFF_PAGE_SIZE = 50
# Roles that may act for the project (edit, apply); plain members may only look.
LEADING_ROLES = (TeamRole.PI, TeamRole.CO_PI)


# --- Projects ------------------------------------------------------------------


def _team() -> QuerySet[ProjectMember]:
    """Team members with their users, PI first, then co-PIs, then members."""
    rank = Case(
        When(role=TeamRole.PI, then=Value(0)),
        When(role=TeamRole.CO_PI, then=Value(1)),
        default=Value(2),
    )
    return ProjectMember.objects.select_related("user").order_by(rank, "user__email")


def organisations_of(*, user) -> QuerySet[Organisation]:
    """Organisations the user belongs to, in any membership role."""
    return Organisation.objects.filter(memberships__user=user).order_by("legal_name").distinct()


def projects_for(*, user) -> QuerySet[Project]:
    """Projects the user is on the team of, with organisation, PI and counts (one query)."""
    my_role = ProjectMember.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Project.objects.filter(members__user=user)
        .select_related("organisation", "pi")
        .annotate(
            my_role=Subquery(my_role),
            member_count=Count("members", distinct=True),
            application_count=Count("applications", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def project_for_member(*, user, pk: int) -> Project:
    """A project the user is on the team of, with team and applications; else 404."""
    queryset = Project.objects.filter(members__user=user).select_related("organisation", "pi")
    project = get_object_or_404(
        queryset.prefetch_related(
            Prefetch("members", queryset=_team()),
            Prefetch(
                "applications",
                queryset=Application.objects.select_related("call").order_by("-created_at"),
            ),
        ),
        pk=pk,
    )
    project.my_membership = next(m for m in project.members.all() if m.user_id == user.pk)
    return project


def projects_user_may_apply_with(*, user) -> QuerySet[Project]:
    """Projects on which the user is PI or co-PI: those they may start an application for."""
    return (
        Project.objects.filter(members__user=user, members__role__in=LEADING_ROLES)
        .select_related("organisation")
        .order_by("title", "id")
        .distinct()
    )


# --- Applications (applicant side) -----------------------------------------------


def _application_queryset() -> QuerySet[Application]:
    return Application.objects.select_related(
        "project__organisation", "project__pi", "call", "created_by"
    ).prefetch_related(
        Prefetch("requests", queryset=ResourceRequest.objects.select_related("resource")),
        Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
        Prefetch("project__members", queryset=_team()),
        Prefetch("call__capacities", queryset=CallResource.objects.select_related("resource")),
    )


def application_for_member(*, user, pk: int) -> Application:
    """An application of a project the user is on the team of; else 404.

    The result carries `my_role` (the user's team role) for the templates.
    """
    application = get_object_or_404(
        _application_queryset().filter(project__members__user=user), pk=pk
    )
    application.my_role = next(
        m.role for m in application.project.members.all() if m.user_id == user.pk
    )
    return application


def published_call(*, slug: str) -> Call:
    """A published call by its slug; unpublished or unknown calls are 404."""
    return get_object_or_404(
        Call.objects.prefetch_related(
            Prefetch("capacities", queryset=CallResource.objects.select_related("resource"))
        ),
        slug=slug,
        is_published=True,
    )


def _submitted(prefix: str = "") -> Q:
    """Applications staff may see: submitted at least once and not back in draft."""
    return Q(**{f"{prefix}submitted_at__isnull": False}) & ~Q(
        **{f"{prefix}state": ApplicationState.DRAFT}
    )


def attachment_for_download(*, user, pk: int, application_pk: int) -> Attachment:
    """An attachment the user may read: team members always, staff once submitted."""
    queryset = Attachment.objects.select_related("application").filter(
        application_id=application_pk
    )
    team = Q(application__project__members__user=user)
    if has_capability(user, Capability.VIEW_APPLICATIONS):
        visible = team | _submitted("application__")
    else:
        visible = team
    attachment = queryset.filter(visible).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


# --- Applications (staff side) ----------------------------------------------------


def _total_requested() -> Subquery:
    """GPU-hours requested in total by the outer application, as one subquery."""
    totals = (
        ResourceRequest.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(total=Sum("gpu_hours"))
        .values("total")
    )
    return Coalesce(Subquery(totals), Value(0))


@dataclass(frozen=True)
class StaffFilters:
    call: int | None = None
    state: str = ""
    track: str = ""
    category: str = ""
    search: str = ""
    order: str = "-submitted"


_REFERENCE = re.compile(r"^(?:APP-?)?0*(\d{1,9})$", re.IGNORECASE)


def _search_condition(text: str) -> Q:
    text = text.strip()
    condition = (
        Q(project__title__icontains=text)
        | Q(project__organisation__legal_name__icontains=text)
        | Q(project__pi__email__icontains=text)
    )
    if text.isdigit():
        condition |= Q(project__organisation__bin__startswith=text)
    match = _REFERENCE.match(text)
    if match:
        condition |= Q(pk=int(match.group(1)))
    return condition


def staff_applications(*, filters: StaffFilters) -> QuerySet[Application]:
    """Every non-draft application matching the filters, ready for one-query paging."""
    queryset = (
        Application.objects.filter(_submitted())
        .select_related("project__organisation", "project__pi", "call")
        .annotate(total_gpu_hours=_total_requested())
    )
    if filters.call:
        queryset = queryset.filter(call_id=filters.call)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.track:
        queryset = queryset.filter(call__track=filters.track)
    if filters.category:
        queryset = queryset.filter(project__organisation__category=filters.category)
    if filters.search.strip():
        queryset = queryset.filter(_search_condition(filters.search))
    if filters.order == "submitted":
        return queryset.order_by("submitted_at", "id")
    return queryset.order_by("-submitted_at", "-id")


def calls_with_submissions() -> QuerySet[Call]:
    """Calls for the staff filter: every call, newest first."""
    return Call.objects.order_by("-opens_at", "title").only("id", "title")


def application_for_staff(*, pk: int) -> Application:
    """Any submitted (non-draft) application with everything staff review; drafts 404."""
    return get_object_or_404(
        _application_queryset().filter(_submitted()).annotate(total_gpu_hours=_total_requested()),
        pk=pk,
    )


VERB_LABELS = {
    "application.created": _("Draft created"),
    "application.draft_saved": _("Draft edited"),
    "application.attachment_added": _("File attached"),
    "application.attachment_removed": _("File removed"),
    "application.submitted": _("Submitted"),
    "application.withdrawn": _("Withdrawn"),
}


def application_timeline(*, application: Application) -> list:
    """The application's audit events, oldest first, with readable verb and state labels."""
    states = dict(ApplicationState.choices)
    events = list(timeline_for(application))
    for event in events:
        event.verb_label = VERB_LABELS.get(event.verb, event.verb)
        event.from_label = states.get(event.from_state, event.from_state)
        event.to_label = states.get(event.to_state, event.to_state)
    return events
