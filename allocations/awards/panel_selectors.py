"""Reads for the panel: capacity per resource, ranking and running totals, proposals.

The panel ranks every application of a call in memory after a few bulk reads (see
capacity.py), then loads full rows only for the page shown: the number of queries does
not depend on the number of applications.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, F, FloatField, Prefetch, Q, Sum
from django.db.models.functions import Cast

from allocations.applications.models import Application, ApplicationState, ResourceRequest
from allocations.awards import capacity as cap
from allocations.awards.models import Allocation, DecisionLine
from allocations.awards.periods import requested_period
from allocations.calls.models import Call
from allocations.reviews import selectors as reviews_selectors
from allocations.reviews.models import AssignmentState, Review

PANEL_PAGE_SIZE = 50
DECIDED_STATES = (ApplicationState.APPROVED, ApplicationState.REJECTED)

# --- Capacity -----------------------------------------------------------------------


def capacity_of(call: Call) -> dict[int, int]:
    """The call's capacity per resource (uses the prefetched capacities)."""
    return {row.resource_id: row.capacity_gpu_hours for row in call.capacities.all()}


def committed_by_resource(*, call_id: int) -> dict[int, int]:
    """GPU-hours the call has given out per resource, net of hours released (one query)."""
    rows = (
        Allocation.objects.filter(application__call_id=call_id)
        .order_by()
        .values("resource_id")
        .annotate(net=Sum(F("gpu_hours") - F("released_gpu_hours")))
    )
    return {row["resource_id"]: int(row["net"] or 0) for row in rows}


def remaining_capacity(*, call: Call) -> dict[int, int]:
    return cap.remaining(
        capacity=capacity_of(call), committed=committed_by_resource(call_id=call.pk)
    )


# --- Reviews, read for the panel and the letter --------------------------------------


def _submitted(prefix: str = "") -> Q:
    """Reviews that count: submitted, on an assignment still in the submitted state.

    The same rule as allocations.reviews.selectors (applicant_reviews, panel_comments).
    """
    return Q(
        **{
            f"{prefix}submitted_at__isnull": False,
            f"{prefix}assignment__state": AssignmentState.SUBMITTED,
        }
    )


def panel_comments_by_application(*, application_ids) -> dict[int, list[dict]]:
    """Panel comments of submitted reviews, labelled "Reviewer 1, 2…" per application.

    One query for any number of applications (the panel page's rows).
    """
    reviews = (
        Review.objects.filter(_submitted(), assignment__application_id__in=list(application_ids))
        .order_by("assignment__created_at", "assignment_id")
        .values_list(
            "assignment__application_id",
            "weighted_score",
            "recommended_gpu_hours",
            "comment_panel",
        )
    )
    by_application: dict[int, list[dict]] = {}
    for application_id, score, recommended, comment in reviews:
        rows = by_application.setdefault(application_id, [])
        rows.append(
            {
                "number": len(rows) + 1,
                "weighted_score": score,
                "recommended_gpu_hours": recommended,
                "comment_panel": comment,
            }
        )
    return by_application


# --- Panel --------------------------------------------------------------------------


@dataclass
class PanelView:
    call: Call
    resources: list  # the call's CallResource rows, in display order
    summary: list  # per resource: capacity, committed, proposed on the panel, left after that
    capacity: dict[int, int]
    committed: dict[int, int]
    proposed_total: dict[int, int]
    page: Page
    rows: list  # PanelRow of the page, each with `.application` and `.comments`
    waitlist: list  # PanelRow of waitlisted applications, ranked
    decided: list  # approved and rejected applications, with their decisions
    over_capacity_count: int = 0
    row_by_id: dict = field(default_factory=dict)

    @property
    def remaining(self) -> dict[int, int]:
        return cap.remaining(capacity=self.capacity, committed=self.committed)


def _as_float(field_name: str) -> Cast:
    return Cast(field_name, FloatField())


def ranked_rows(
    *, call: Call, states, capacity, committed, application_ids=None
) -> list[cap.PanelRow]:
    """Every application of the call in `states`, ranked, with proposals and running totals.

    Two queries: one aggregate row per application, and the requested hours.
    """
    submitted = Q(
        review_assignments__state=AssignmentState.SUBMITTED,
        review_assignments__review__submitted_at__isnull=False,
    )
    applications = Application.objects.filter(call=call, state__in=states)
    if application_ids is not None:
        applications = applications.filter(pk__in=application_ids)
    rows = (
        # Ordered by submission here so that the row's index is the last tie-breaker
        # (cheaper than fetching thousands of timestamps).
        applications.order_by("submitted_at", "id")
        .annotate(
            # Floats: cheaper to fetch than numeric for thousands of rows; only for ranking.
            score=Avg(_as_float("review_assignments__review__weighted_score"), filter=submitted),
            reviewers=Avg(
                _as_float("review_assignments__review__recommended_gpu_hours"), filter=submitted
            ),
            review_count=Count("review_assignments__review", filter=submitted),
        )
        .values_list(
            "id",
            "panel_entry__position",
            "panel_entry__proposed_gpu_hours",
            "technical_assessment__recommended_gpu_hours",
            "score",
            "reviewers",
            "review_count",
        )
    )
    requested: dict[int, dict[int, int]] = {}
    for application_id, resource_id, hours in ResourceRequest.objects.filter(
        application__in=applications
    ).values_list("application_id", "resource_id", "gpu_hours"):
        requested.setdefault(application_id, {})[resource_id] = hours
    panel_rows = []
    for order, (pk, position, proposed, technical, score, reviewers, count) in enumerate(rows):
        asked = requested.get(pk, {})
        proposal = proposed
        if proposal is None:
            proposal = cap.default_proposal(
                requested_total=sum(asked.values()), technical=technical, reviewers=reviewers
            )
        panel_rows.append(
            cap.PanelRow(
                application_id=pk,
                position=position,
                score=score,
                submitted_order=(order,),
                requested=asked,
                proposed_total=proposal,
                review_count=count,
                technical=technical,
                reviewers=reviewers,
                manual_proposal=proposed,
            )
        )
    return cap.rank_with_running_totals(panel_rows, capacity=capacity, committed=committed)


def _per_resource(row: cap.PanelRow, resources) -> list[dict]:
    """The row's numbers per call resource, in the order of the table's columns."""
    cells = []
    for capacity_row in resources:
        rid = capacity_row.resource_id
        proposed = row.proposed.get(rid, 0)
        running = row.running.get(rid, 0)
        cells.append(
            {
                "name": capacity_row.resource.name,
                "requested": row.requested.get(rid),
                "proposed": proposed,
                "running": running,
                "capacity": capacity_row.capacity_gpu_hours,
                "over": proposed > 0 and running > capacity_row.capacity_gpu_hours,
            }
        )
    return cells


def panel(*, call: Call, page_number=1) -> PanelView:
    """The panel of a call: ranked applications in panel state (paged), waitlist, decided."""
    capacity = capacity_of(call)
    committed = committed_by_resource(call_id=call.pk)
    ranked = ranked_rows(
        call=call,
        states=(ApplicationState.PANEL,),
        capacity=capacity,
        committed=committed,
    )
    waitlist = ranked_rows(
        call=call,
        states=(ApplicationState.WAITLISTED,),
        capacity=capacity,
        committed=committed,
    )
    page = Paginator(ranked, PANEL_PAGE_SIZE).get_page(page_number)
    shown = [*page.object_list, *waitlist]
    ids = [row.application_id for row in shown]
    details = (
        Application.objects.filter(pk__in=ids)
        .select_related("project__organisation")
        .only("id", "project__title", "project__organisation__legal_name")
    )
    by_id = {application.pk: application for application in details}
    comments = panel_comments_by_application(application_ids=ids)
    resources = list(call.capacities.all())
    for row in shown:
        row.application = by_id[row.application_id]
        row.comments = comments.get(row.application_id, [])
        row.per_resource = _per_resource(row, resources)
    decided = list(
        Application.objects.filter(call=call, state__in=DECIDED_STATES)
        .exclude(screening__outcome="ineligible")
        .select_related("project__organisation", "decision")
        .prefetch_related(
            Prefetch("decision__lines", queryset=DecisionLine.objects.select_related("resource"))
        )
        .order_by("state", "-decision__decided_at", "id")
    )
    proposed_total = dict.fromkeys(capacity, 0)
    for row in ranked:
        for rid, hours in row.proposed.items():
            proposed_total[rid] = proposed_total.get(rid, 0) + hours
    summary = [
        {
            "name": r.resource.name,
            "capacity": r.capacity_gpu_hours,
            "committed": committed.get(r.resource_id, 0),
            "proposed": proposed_total.get(r.resource_id, 0),
            "left": r.capacity_gpu_hours
            - committed.get(r.resource_id, 0)
            - proposed_total.get(r.resource_id, 0),
        }
        for r in resources
    ]
    return PanelView(
        call=call,
        resources=resources,
        summary=summary,
        capacity=capacity,
        committed=committed,
        proposed_total=proposed_total,
        page=page,
        rows=list(page.object_list),
        waitlist=waitlist,
        decided=decided,
        over_capacity_count=sum(1 for row in ranked if row.over_capacity),
        row_by_id={row.application_id: row for row in shown},
    )


def proposal_for(*, application: Application) -> dict[int, int]:
    """The panel's proposed GPU-hours per resource for one application."""
    call = application.call
    rows = ranked_rows(
        call=call,
        states=(application.state,),
        capacity=capacity_of(call),
        committed={},
        application_ids=[application.pk],
    )
    row = next((r for r in rows if r.application_id == application.pk), None)
    if row is None:
        return {r.resource_id: 0 for r in application.requests.all()}
    return row.proposed


def review_summary(*, application: Application) -> dict:
    submitted = Review.objects.filter(_submitted(), assignment__application=application)
    return submitted.aggregate(
        score=Avg("weighted_score"),
        reviewers=Avg("recommended_gpu_hours"),
        count=Count("id"),
    )


def decision_page(*, application: Application, today) -> dict:
    """What the manager sees next to the decision form, in a constant number of queries."""
    call = application.call
    remaining = remaining_capacity(call=call)
    return {
        "period": requested_period(application=application, today=today),
        "proposal": proposal_for(application=application),
        "summary": review_summary(application=application),
        "comments": reviews_selectors.panel_comments(application=application),
        "capacities": [
            {
                "resource": row.resource,
                "capacity": row.capacity_gpu_hours,
                "remaining": remaining.get(row.resource_id, 0),
            }
            for row in call.capacities.all()
        ],
    }
