"""State changes of resources and calls. Each function is one transaction with one audit event."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Role, User
from allocations.calls import selectors
from allocations.calls.models import Call, CallResource, CallState, Resource, RubricCriterion
from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.core.permissions import Capability, require

RESOURCE_FIELDS = (
    "name",
    "cluster",
    "partition",
    "gpu_type",
    "gpus_per_node",
    "node_count",
    "capacity_gpu_hours",
    "description",
)

CALL_FIELDS = (
    "title",
    "slug",
    "track",
    "description",
    "is_continuous",
    "opens_at",
    "closes_at",
    "eligible_categories",
    "reviewers_per_application",
    "blind_review",
    "right_to_reply",
    "reply_window_days",
    "scale_min",
    "scale_max",
    "max_duration_months",
)


@dataclass(frozen=True)
class CapacityRow:
    resource: Resource
    capacity_gpu_hours: int


@dataclass(frozen=True)
class CriterionRow:
    id: int | None
    name: str
    description: str
    weight: Decimal
    position: int


# --- Resources ---------------------------------------------------------------


def _locked_resource(resource_id: int) -> Resource:
    try:
        return Resource.objects.select_for_update().get(pk=resource_id)
    except Resource.DoesNotExist:
        raise Http404 from None


@transaction.atomic
def create_resource(*, actor, data: dict[str, Any]) -> Resource:
    require(actor, Capability.MANAGE_CALLS)
    resource = Resource(**{name: data[name] for name in RESOURCE_FIELDS if name in data})
    resource.full_clean()
    resource.save()
    record(actor=actor, verb="resource.created", target=resource, to_state="active")
    return resource


@transaction.atomic
def update_resource(*, actor, resource_id: int, data: dict[str, Any]) -> Resource:
    require(actor, Capability.MANAGE_CALLS)
    resource = _locked_resource(resource_id)
    changed = {}
    for name in RESOURCE_FIELDS:
        if name in data and getattr(resource, name) != data[name]:
            changed[name] = [str(getattr(resource, name)), str(data[name])]
            setattr(resource, name, data[name])
    largest = CallResource.objects.filter(resource=resource).aggregate(m=Max("capacity_gpu_hours"))
    if largest["m"] and resource.capacity_gpu_hours < largest["m"]:
        raise ValidationError(
            {
                "capacity_gpu_hours": _(
                    "A call already gives out %(hours)s GPU-hours on this resource; "
                    "the capacity cannot be lower."
                )
                % {"hours": largest["m"]}
            }
        )
    resource.full_clean()
    resource.save()
    record(actor=actor, verb="resource.updated", target=resource, data={"changed": changed})
    return resource


@transaction.atomic
def set_resource_active(*, actor, resource_id: int, active: bool, now) -> Resource:
    """Deactivated resources are no longer offered to new calls; history keeps them."""
    require(actor, Capability.MANAGE_CALLS)
    resource = _locked_resource(resource_id)
    if resource.is_active == active:
        return resource
    if not active:
        still_running = (
            Call.objects.filter(capacities__resource=resource, is_published=True)
            .filter(Q(is_continuous=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=now))
            .order_by("title")
            .values_list("title", flat=True)
        )
        titles = list(still_running)
        if titles:
            raise ValidationError(
                _("This resource is offered by calls that are not closed yet: %(calls)s.")
                % {"calls": ", ".join(titles)}
            )
    resource.is_active = active
    resource.save(update_fields=["is_active"])
    record(
        actor=actor,
        verb="resource.reactivated" if active else "resource.deactivated",
        target=resource,
        from_state="inactive" if active else "active",
        to_state="active" if active else "inactive",
    )
    return resource


# --- Calls -------------------------------------------------------------------


def _locked_call(call_id: int) -> Call:
    try:
        return Call.objects.select_for_update().get(pk=call_id)
    except Call.DoesNotExist:
        raise Http404 from None


def _check_capacities(rows: list[CapacityRow], *, already_used: set[int]) -> None:
    seen: set[int] = set()
    for row in rows:
        if row.resource.pk in seen:
            raise ValidationError(
                _("%(resource)s is listed twice.") % {"resource": row.resource.name}
            )
        seen.add(row.resource.pk)
        if not row.resource.is_active and row.resource.pk not in already_used:
            raise ValidationError(
                _("%(resource)s is not active.") % {"resource": row.resource.name}
            )
        if row.capacity_gpu_hours < 1:
            raise ValidationError(_("Every capacity must be a positive number of GPU-hours."))
        if row.capacity_gpu_hours > row.resource.capacity_gpu_hours:
            raise ValidationError(
                _("%(resource)s has only %(hours)s GPU-hours per period.")
                % {"resource": row.resource.name, "hours": row.resource.capacity_gpu_hours}
            )


def _save_criteria(call: Call, rows: list[CriterionRow]) -> None:
    existing = {criterion.pk: criterion for criterion in call.criteria.all()}
    kept: set[int] = set()
    for row in rows:
        if row.weight <= 0:
            raise ValidationError(_("Every criterion weight must be positive."))
        if row.id is None:
            criterion = RubricCriterion(call=call)
        elif row.id in existing:
            criterion = existing[row.id]
            kept.add(row.id)
        else:
            raise ValidationError(_("A criterion of another call was submitted."))
        criterion.name = row.name
        criterion.description = row.description
        criterion.weight = row.weight
        criterion.position = row.position
        criterion.save()
    call.criteria.exclude(pk__in=kept).filter(pk__in=existing.keys()).delete()


@transaction.atomic
def save_call(
    *,
    actor,
    call_id: int | None,
    fields: dict[str, Any],
    capacities: list[CapacityRow],
    criteria: list[CriterionRow],
) -> Call:
    """Create or edit a call together with its capacities and rubric, all or nothing."""
    require(actor, Capability.MANAGE_CALLS)
    call = _locked_call(call_id) if call_id is not None else Call()
    already_used = set(call.capacities.values_list("resource_id", flat=True)) if call.pk else set()
    changed = []
    for name in CALL_FIELDS:
        if name in fields and getattr(call, name) != fields[name]:
            changed.append(name)
            setattr(call, name, fields[name])
    if call.is_continuous:
        call.closes_at = None
    if call.is_published and not (capacities and criteria):
        raise ValidationError(
            _("A published call keeps at least one resource capacity and one criterion.")
        )
    _check_capacities(capacities, already_used=already_used)
    call.full_clean()
    created = call.pk is None
    call.save()
    call.capacities.all().delete()
    CallResource.objects.bulk_create(
        CallResource(call=call, resource=row.resource, capacity_gpu_hours=row.capacity_gpu_hours)
        for row in capacities
    )
    _save_criteria(call, criteria)
    record(
        actor=actor,
        verb="call.created" if created else "call.updated",
        target=call,
        data={
            "changed": changed,
            "capacities": {row.resource.name: row.capacity_gpu_hours for row in capacities},
            "criteria": [row.name for row in criteria],
        },
    )
    return call


@transaction.atomic
def publish_call(*, actor, call_id: int) -> Call:
    require(actor, Capability.MANAGE_CALLS)
    call = _locked_call(call_id)
    if call.is_published:
        raise ValidationError(_("This call is already published."))
    problems = []
    if not call.capacities.exists():
        problems.append(_("Give the call at least one resource capacity before publishing."))
    if not call.criteria.exists():
        problems.append(_("Give the call at least one rubric criterion before publishing."))
    if not call.eligible_categories:
        problems.append(_("Choose at least one eligible organisation category."))
    if problems:
        raise ValidationError(problems)
    call.is_published = True
    call.save(update_fields=["is_published"])
    record(
        actor=actor, verb="call.published", target=call, from_state="draft", to_state="published"
    )
    return call


@transaction.atomic
def unpublish_call(*, actor, call_id: int) -> Call:
    """Takes a call off the public pages; applications already made stay where they are."""
    require(actor, Capability.MANAGE_CALLS)
    call = _locked_call(call_id)
    if not call.is_published:
        raise ValidationError(_("This call is not published."))
    call.is_published = False
    call.save(update_fields=["is_published"])
    record(
        actor=actor,
        verb="call.unpublished",
        target=call,
        from_state="published",
        to_state=CallState.DRAFT,
    )
    return call


@transaction.atomic
def report_closing_calls(*, now) -> int:
    """E-mail every call manager the calls closing soon. Returns the number of e-mails."""
    calls = selectors.calls_closing_soon(now=now)
    if not calls:
        return 0
    listed = [
        {
            "title": call.title,
            "closes_at": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M"),
            "path": reverse("calls:call_detail", args=[call.slug]),
        }
        for call in calls
    ]
    managers = User.objects.filter(role_grants__role=Role.CALL_MANAGER, is_active=True).distinct()
    sent = 0
    for manager in managers.order_by("pk"):
        notify_user(manager, template="calls_closing_soon", context={"calls": listed})
        sent += 1
    return sent
