"""Capacity arithmetic and panel ranking: plain functions over plain numbers.

Kept free of the ORM so that the rules can be tested exhaustively (hypothesis) and
so the panel page can rank thousands of rows in memory after a few bulk reads.
Amounts are dicts {resource_id: GPU-hours}.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


def remaining(*, capacity: Mapping[int, int], committed: Mapping[int, int]) -> dict[int, int]:
    """Capacity left per resource of the call; negative only after an override."""
    return {rid: cap - committed.get(rid, 0) for rid, cap in capacity.items()}


def shortfalls(*, amounts: Mapping[int, int], available: Mapping[int, int]) -> dict[int, int]:
    """Per resource, by how much `amounts` exceed what is `available` (only the excesses)."""
    excess = {rid: hours - available.get(rid, 0) for rid, hours in amounts.items() if hours > 0}
    return {rid: over for rid, over in excess.items() if over > 0}


def fits(*, amounts: Mapping[int, int], available: Mapping[int, int]) -> bool:
    return not shortfalls(amounts=amounts, available=available)


def split_proportionally(total: int, requested: Mapping[int, int]) -> dict[int, int]:
    """Share `total` GPU-hours out over resources in proportion to what was requested.

    Largest-remainder rounding: the parts are whole hours and always add up to `total`.
    """
    weights = {rid: hours for rid, hours in requested.items() if hours > 0}
    if total <= 0 or not weights:
        return dict.fromkeys(requested, 0)
    if len(weights) == 1:  # the common case: one resource asked for
        return {rid: (total if rid in weights else 0) for rid in requested}
    whole = sum(weights.values())
    parts = {rid: total * hours // whole for rid, hours in weights.items()}
    leftover = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda rid: (-(total * weights[rid] % whole), rid))
    for rid in by_remainder[:leftover]:
        parts[rid] += 1
    return {rid: parts.get(rid, 0) for rid in requested}


def default_proposal(
    *, requested_total: int, technical: int | None, reviewers: Decimal | float | None
) -> int:
    """What the panel proposes unless the manager says otherwise.

    The technical assessment's recommendation first, then the reviewers' average, never
    more than was requested.
    """
    if technical is not None:
        return min(technical, requested_total)
    if reviewers is not None:
        whole = Decimal(str(reviewers)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return min(int(whole), requested_total)
    return requested_total


@dataclass(slots=True)
class PanelRow:
    """One application on the panel, as the ranking sees it (and as the page shows it)."""

    application_id: int
    position: int | None
    score: Decimal | None
    submitted_order: tuple  # earlier submissions first: the last tie-breaker
    requested: dict[int, int]
    proposed_total: int
    proposed: dict[int, int] = field(default_factory=dict)
    running: dict[int, int] = field(default_factory=dict)
    over_capacity: bool = False
    rank: int = 0
    # Shown on the panel page; not used by the ranking.
    review_count: int = 0
    technical: int | None = None
    reviewers: Decimal | float | None = None
    manual_proposal: int | None = None
    application: object = None
    comments: list = field(default_factory=list)
    per_resource: list = field(default_factory=list)


def rank_key(row: PanelRow):
    """Manual positions first (ascending), then the best score, then the earliest submission."""
    return (
        row.position is None,
        row.position or 0,
        row.score is None,
        -(row.score or 0),
        row.submitted_order,
    )


def rank_with_running_totals(
    rows: Iterable[PanelRow], *, capacity: Mapping[int, int], committed: Mapping[int, int]
) -> list[PanelRow]:
    """Order the rows and add, per resource, committed + cumulative proposed up to each row.

    A row is over capacity when, on any resource it asks for, its running total passes
    the call's capacity.
    """
    ranked = sorted(rows, key=rank_key)
    running = {rid: committed.get(rid, 0) for rid in capacity}
    for rank, row in enumerate(ranked, start=1):
        row.rank = rank
        row.proposed = split_proportionally(row.proposed_total, row.requested)
        for rid, hours in row.proposed.items():
            running[rid] = running.get(rid, 0) + hours
        row.running = dict(running)
        row.over_capacity = any(
            hours > 0 and running[rid] > capacity.get(rid, 0) for rid, hours in row.proposed.items()
        )
    return ranked
