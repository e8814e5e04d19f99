"""Reads of extension and supplement requests: the call managers' queue and one request.

The queue is paginated by the view; each page costs the same two queries (count and
rows) whatever the number of requests.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from allocations.applications.models import ProjectMember
from allocations.awards.models import ChangeRequest, ChangeRequestState
from allocations.awards.panel_selectors import capacity_of, committed_by_resource
from allocations.core.permissions import Capability, has_capability

STAFF_PAGE_SIZE = 50


def _with_context() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.select_related(
        "allocation__project__organisation",
        "allocation__resource",
        "allocation__application__call",
        "requested_by",
        "decided_by",
    )


def open_changes() -> QuerySet[ChangeRequest]:
    """Requests waiting for a decision, oldest first."""
    return _with_context().filter(state=ChangeRequestState.SUBMITTED).order_by("requested_at", "id")


def change_for_user(*, user, pk: int) -> ChangeRequest:
    """One request, for the allocation's project team and for staff who see applications.

    Anyone else gets a 404. Carries `my_role` (the user's team role or None).
    """
    change = get_object_or_404(_with_context(), pk=pk)
    change.my_role = (
        ProjectMember.objects.filter(project_id=change.allocation.project_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if change.my_role is None and not has_capability(user, Capability.VIEW_APPLICATIONS):
        raise Http404
    return change


def decision_page(*, change: ChangeRequest) -> dict:
    """What the decision form shows beside the request: the call's capacity on the resource."""
    call = change.allocation.application.call
    resource_id = change.allocation.resource_id
    capacity = capacity_of(call).get(resource_id, 0)
    committed = committed_by_resource(call_id=call.pk).get(resource_id, 0)
    return {
        "change": change,
        "allocation": change.allocation,
        "capacity": capacity,
        "remaining": capacity - committed,
        "decidable": change.state == ChangeRequestState.SUBMITTED,
    }
