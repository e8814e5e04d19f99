"""Reads of resources and calls: who may see which call, and lists in constant queries."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from allocations.accounts.models import OrganisationCategory
from allocations.calls.models import Call, CallResource, CallState, Resource, RubricCriterion
from allocations.core.permissions import Capability, has_capability

# How far ahead the daily report to call managers looks for closing calls.
CLOSING_SOON = timedelta(days=3)


def _with_capacities(queryset: QuerySet[Call]) -> QuerySet[Call]:
    return queryset.prefetch_related(
        Prefetch("capacities", queryset=CallResource.objects.select_related("resource"))
    )


def _open_q(now) -> Q:
    return Q(is_published=True, opens_at__lte=now) & (
        Q(is_continuous=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=now)
    )


def _state_q(state: str, now) -> Q:
    """The database condition matching Call.state_at(now) == state."""
    if state == CallState.DRAFT:
        return Q(is_published=False)
    if state == CallState.SCHEDULED:
        return Q(is_published=True, opens_at__gt=now)
    if state == CallState.OPEN:
        return _open_q(now)
    return Q(is_published=True, opens_at__lte=now, is_continuous=False, closes_at__lte=now)


def open_calls(*, now) -> QuerySet[Call]:
    """Published calls open at `now`, with their capacities (two queries)."""
    return _with_capacities(Call.objects.filter(_open_q(now))).order_by("closes_at", "title")


def _count_per_call(model) -> Coalesce:
    # A subquery, so that it does not multiply the rows of the applications join.
    rows = model.objects.filter(call=OuterRef("pk")).order_by().values("call")
    return Coalesce(Subquery(rows.annotate(n=Count("id")).values("n")), 0)


def calls_for_staff(*, now, state: str = "") -> list[Call]:
    """Every call, optionally of one state, each carrying `.state` (two queries)."""
    calls = Call.objects.annotate(
        criteria_count=_count_per_call(RubricCriterion),
        # Counted through the reverse relation: this lower package does not import applications.
        application_count=Count("applications"),
    )
    if state in CallState.values:
        calls = calls.filter(_state_q(state, now))
    result = list(_with_capacities(calls).order_by("-opens_at", "title"))
    for call in result:
        call.state = call.state_at(now)
    return result


def call_for_edit(*, pk: int) -> Call:
    try:
        return Call.objects.get(pk=pk)
    except Call.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class CriterionShare:
    criterion: RubricCriterion
    percent: Decimal


def call_page(*, user, slug: str, now) -> dict:
    """The public page of one call. Unpublished calls exist only for call managers."""
    calls = Call.objects.filter(slug=slug)
    can_manage = has_capability(user, Capability.MANAGE_CALLS)
    if not can_manage:
        calls = calls.filter(is_published=True)
    call = _with_capacities(calls).prefetch_related("criteria").first()
    if call is None:
        raise Http404
    criteria = list(call.criteria.all())
    total = sum((c.weight for c in criteria), Decimal(0))
    shares = [
        CriterionShare(
            c, (c.weight * 100 / total).quantize(Decimal("0.1")) if total else Decimal(0)
        )
        for c in criteria
    ]
    labels = dict(OrganisationCategory.choices)
    return {
        "call": call,
        "state": call.state_at(now),
        "capacities": list(call.capacities.all()),
        "criteria": shares,
        "eligible_labels": [labels.get(value, value) for value in call.eligible_categories],
        "can_manage": can_manage,
    }


def resources_for_staff() -> QuerySet[Resource]:
    """Every resource, active first, with the number of calls giving out its hours."""
    # CallResource has no reverse accessor on Resource, hence the subquery.
    per_resource = (
        CallResource.objects.filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Resource.objects.annotate(call_count=Coalesce(Subquery(per_resource), 0)).order_by(
        "-is_active", "name"
    )


def resource_for_edit(*, pk: int) -> Resource:
    try:
        return Resource.objects.get(pk=pk)
    except Resource.DoesNotExist:
        raise Http404 from None


def resources_offerable(*, call: Call | None) -> QuerySet[Resource]:
    """Resources a call may give hours on: active ones, plus those it already uses."""
    condition = Q(is_active=True)
    if call is not None and call.pk:
        condition |= Q(pk__in=call.capacities.values("resource"))
    return Resource.objects.filter(condition).order_by("name")


def calls_closing_soon(*, now) -> list[Call]:
    """Published, windowed calls that close within CLOSING_SOON of `now`."""
    return list(
        Call.objects.filter(
            is_published=True,
            is_continuous=False,
            closes_at__gt=now,
            closes_at__lte=now + CLOSING_SOON,
        ).order_by("closes_at", "title")
    )
