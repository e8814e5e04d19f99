"""Pure rules of the reviews area: scores, keywords, dates. No database access."""

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from allocations.applications.models import ApplicationState

SCORE_PLACES = Decimal("0.001")
DEFAULT_REVIEW_DAYS = 14
# A reminder goes out this long before the due time (and another on the due date).
REMIND_BEFORE = timedelta(days=2)

# Reviewers may be assigned, and may work, while the application is in these states.
REVIEWABLE_STATES = frozenset({ApplicationState.TECHNICAL_REVIEW, ApplicationState.PEER_REVIEW})
# The technical assessment may still be corrected before the panel sees it.
ASSESSABLE_STATES = frozenset(
    {ApplicationState.TECHNICAL_REVIEW, ApplicationState.PEER_REVIEW, ApplicationState.REPLY}
)
# Once decided, the team keeps seeing the anonymised reviews it was shown.
DECIDED_STATES = frozenset(
    {ApplicationState.APPROVED, ApplicationState.WAITLISTED, ApplicationState.REJECTED}
)

_WORD = re.compile(r"\w+", re.UNICODE)


def weighted_score(pairs: Iterable[tuple[int, Decimal]]) -> Decimal:
    """sum(score × weight) / sum(weight), rounded half-up to three places.

    `pairs` are (score, weight) with positive weights; raises ValueError when empty.
    """
    total = Decimal(0)
    weights = Decimal(0)
    for score, weight in pairs:
        total += Decimal(score) * Decimal(weight)
        weights += Decimal(weight)
    if weights <= 0:
        raise ValueError("weighted_score needs at least one criterion with a positive weight")
    return (total / weights).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def words(text: str) -> set[str]:
    """Lower-cased words of a text (letters of any script, digits, underscores)."""
    return set(_WORD.findall((text or "").lower()))


def normalise_keywords(raw: str | Iterable[str]) -> list[str]:
    """Keywords from comma- or newline-separated text (or a list): trimmed, lower-cased, unique."""
    parts = re.split(r"[,\n;]", raw) if isinstance(raw, str) else list(raw)
    seen: list[str] = []
    for part in parts:
        keyword = " ".join(str(part).lower().split())
        if keyword and keyword not in seen:
            seen.append(keyword)
    return seen


def keyword_overlap(keywords: Iterable[str], text_words: set[str]) -> list[str]:
    """The keywords whose every word appears among `text_words` (so "computer vision" matches
    an abstract mentioning both words)."""
    matched = []
    for keyword in keywords:
        parts = words(keyword)
        if parts and parts <= text_words:
            matched.append(keyword)
    return matched


def project_words(project) -> set[str]:
    return words(" ".join((project.field_of_science, project.title, project.abstract)))


def is_overdue(*, due_at, now) -> bool:
    return now > due_at


def reminder_due(*, due_at, now, reminded_before_due_at, reminded_on_due_at) -> str | None:
    """Which reminder, if any, should go out at `now`: "due_today", "due_soon" or None.

    On the due date (local time) only the due-date reminder is sent; from two days before the
    due time until then, the early one. Each is sent at most once.
    """
    if reminded_on_due_at is None and timezone.localdate(now) >= timezone.localdate(due_at):
        return "due_today"
    if (
        reminded_before_due_at is None
        and reminded_on_due_at is None
        and due_at - REMIND_BEFORE <= now < due_at
    ):
        return "due_soon"
    return None
