"""Capacity arithmetic, with hypothesis: the pure rules, then the services on the database
(remaining = capacity − granted + released, never negative without a recorded override;
offers from the waitlist never exceed what was free)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from allocations.awards import capacity as cap
from allocations.awards import selectors, services
from allocations.awards.models import Allocation, AllocationState, Decision, DecisionLine
from allocations.awards.periods import add_months
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    call_with_capacity,
    fast_passwords,
    set_panel_entry,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

hours = st.integers(min_value=0, max_value=10**7)
requests = st.dictionaries(st.integers(1, 6), st.integers(1, 10**6), min_size=1, max_size=4)


@given(total=hours, requested=requests)
def test_split_adds_up_and_follows_the_request(total, requested):
    parts = cap.split_proportionally(total, requested)
    assert set(parts) == set(requested)
    assert sum(parts.values()) == total
    whole = sum(requested.values())
    for rid, part in parts.items():
        exact = Decimal(total) * requested[rid] / whole
        assert abs(part - exact) < 1


@given(
    amounts=st.dictionaries(st.integers(1, 4), hours),
    available=st.dictionaries(st.integers(1, 4), st.integers(-(10**6), 10**7)),
)
def test_fits_means_no_shortfall(amounts, available):
    short = cap.shortfalls(amounts=amounts, available=available)
    assert cap.fits(amounts=amounts, available=available) == (not short)
    for rid, over in short.items():
        assert over == amounts[rid] - available.get(rid, 0) > 0


@given(
    capacity=st.integers(1, 10**6),
    committed=st.integers(0, 10**6),
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(1, 5)),
            st.one_of(st.none(), st.decimals(1, 5, places=3)),
            st.integers(1, 10**5),
        ),
        max_size=12,
    ),
)
def test_running_totals_accumulate_in_rank_order(capacity, committed, rows):
    panel_rows = [
        cap.PanelRow(
            application_id=index,
            position=position,
            score=score,
            submitted_order=(index,),
            requested={1: asked},
            proposed_total=asked,
        )
        for index, (position, score, asked) in enumerate(rows)
    ]
    ranked = cap.rank_with_running_totals(
        panel_rows, capacity={1: capacity}, committed={1: committed}
    )
    running = committed
    for rank, row in enumerate(ranked, start=1):
        running += row.proposed[1]
        assert row.rank == rank
        assert row.running[1] == running
        assert row.over_capacity == (running > capacity)
    keys = [cap.rank_key(row) for row in ranked]
    assert keys == sorted(keys)
    fixed = [row for row in ranked if row.position is not None]
    assert ranked[: len(fixed)] == fixed


def test_default_proposal_prefers_technical_then_reviewers_never_above_request():
    assert cap.default_proposal(requested_total=5000, technical=3000, reviewers=4000) == 3000
    assert cap.default_proposal(requested_total=5000, technical=None, reviewers=4000.5) == 4001
    assert cap.default_proposal(requested_total=5000, technical=9000, reviewers=None) == 5000
    assert cap.default_proposal(requested_total=5000, technical=None, reviewers=None) == 5000


# --- The services on the database ------------------------------------------------------

CAPACITY = 10_000
operation = st.one_of(
    st.tuples(st.just("approve"), st.integers(1, 8000), st.booleans()),
    st.tuples(st.just("approve"), st.integers(1, 8000), st.just(True)),
    st.tuples(st.just("waitlist"), st.integers(1, 6000), st.booleans()),
    st.tuples(st.just("decline"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("close"), st.integers(0, 20), st.integers(0, 100)),
)


def _granted_minus_released(call) -> int:
    granted = DecisionLine.objects.filter(
        decision__application__call=call, decision__outcome="approved"
    ).aggregate(total=Sum("gpu_hours"))["total"]
    released = Allocation.objects.filter(application__call=call).aggregate(
        total=Sum(F("released_gpu_hours"))
    )["total"]
    return (granted or 0) - (released or 0)


def _run(op, *, call, manager, now):
    kind, amount, flag = op
    if kind in ("approve", "waitlist"):
        application = application_at(call, hours=amount)
        if kind == "waitlist":
            set_panel_entry(application, proposed=amount)
        try:
            services.decide(
                actor=manager,
                application_id=application.pk,
                outcome="approved" if kind == "approve" else "waitlisted",
                reason="Property test.",
                amounts={application.requests.get().resource_id: amount},
                start_date=timezone.localdate(now) + timedelta(days=10),
                end_date=timezone.localdate(now) + timedelta(days=100),
                override=flag,
                override_reason="Priority." if flag else "",
                now=now,
            )
        except ValidationError:
            assert kind == "approve" and not flag  # only a refused override may fail
        return
    open_allocations = list(
        Allocation.objects.filter(application__call=call)
        .exclude(state=AllocationState.CLOSED)
        .order_by("id")
        .select_related("project")
    )
    if not open_allocations:
        return
    allocation = open_allocations[amount % len(open_allocations)]
    if kind == "decline":
        services.decline_allocation(
            actor=allocation.project.pi, allocation_id=allocation.pk, reason="", now=now
        )
    else:
        used = allocation.gpu_hours * flag // 100
        services.close_allocation(
            actor=manager,
            allocation_id=allocation.pk,
            reason="Closed in a property test.",
            used_gpu_hours=used,
            now=now,
        )


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=2, max_size=8))
@example(
    operations=[
        ("approve", 8000, True),
        ("approve", 7000, True),
        ("waitlist", 3000, False),
        ("waitlist", 900, False),
        ("decline", 0, False),
        ("close", 0, 50),
    ]
)
def test_capacity_invariants_hold_through_any_sequence(call_manager, operations):
    now = timezone.now()
    with transaction.atomic():
        call, _rows = call_with_capacity(capacities=(CAPACITY,))
        resource_id = call.capacities.get().resource_id
        for op in operations:
            before = selectors.remaining_capacity(call=call)[resource_id]
            offers_before = set(
                Decision.objects.filter(
                    application__call=call, decided_by__isnull=True
                ).values_list("pk", flat=True)
            )
            released_before = (
                Allocation.objects.filter(application__call=call).aggregate(
                    total=Sum("released_gpu_hours")
                )["total"]
                or 0
            )
            _run(op, call=call, manager=call_manager, now=now)

            remaining = selectors.remaining_capacity(call=call)[resource_id]
            assert remaining == CAPACITY - _granted_minus_released(call)
            if remaining < 0:
                assert Decision.objects.filter(application__call=call, over_capacity=True).exists()
            released = (
                Allocation.objects.filter(application__call=call).aggregate(
                    total=Sum("released_gpu_hours")
                )["total"]
                or 0
            ) - released_before
            offered = (
                DecisionLine.objects.filter(decision__application__call=call)
                .filter(decision__decided_by__isnull=True)
                .exclude(decision__pk__in=offers_before)
                .aggregate(total=Sum("gpu_hours"))["total"]
                or 0
            )
            # What was free once the hours came back bounds what the waitlist received.
            assert offered <= max(before + released, 0)
            if offered:
                assert remaining >= 0
                event("waitlist offered")
            if remaining < 0:
                event("over capacity by override")
        transaction.set_rollback(True)


# --- Periods -------------------------------------------------------------------------


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(1, 60),
)
def test_add_months_lands_in_the_right_month(day, months):
    later = add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)


def test_add_months_clamps_to_the_end_of_short_months():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
