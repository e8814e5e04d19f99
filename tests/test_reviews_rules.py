"""Pure rules: the weighted score (hypothesis), keywords and reminder timing."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocations.reviews import rules

ALMATY = ZoneInfo("Asia/Almaty")
weights = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@st.composite
def scored_rubrics(draw):
    low = draw(st.integers(min_value=0, max_value=9))
    high = draw(st.integers(min_value=low + 1, max_value=10))
    count = draw(st.integers(min_value=1, max_value=8))
    scores = draw(st.lists(st.integers(low, high), min_size=count, max_size=count))
    criterion_weights = draw(st.lists(weights, min_size=count, max_size=count))
    return low, high, list(zip(scores, criterion_weights, strict=True))


@given(scored_rubrics())
def test_weighted_score_stays_within_the_scale(rubric):
    low, high, pairs = rubric
    score = rules.weighted_score(pairs)
    assert isinstance(score, Decimal)
    assert Decimal(low) <= score <= Decimal(high)
    assert score == score.quantize(Decimal("0.001"))
    assert min(s for s, _w in pairs) <= score <= max(s for s, _w in pairs)


@given(
    st.lists(st.integers(1, 10), min_size=1, max_size=10),
    weights,
)
def test_equal_weights_give_the_plain_mean(scores, weight):
    mean = (Decimal(sum(scores)) / Decimal(len(scores))).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )
    assert rules.weighted_score((s, weight) for s in scores) == mean


def test_weighted_score_rounds_half_up():
    # (1×1 + 2×7) / 8 = 1.875 exactly.
    assert rules.weighted_score([(1, Decimal(1)), (2, Decimal(7))]) == Decimal("1.875")
    # 2/3 = 0.6666… → 0.667.
    assert rules.weighted_score([(0, Decimal(1)), (1, Decimal(2))]) == Decimal("0.667")
    # 0.01 / 20 = 0.0005 exactly: half-up gives 0.001 where half-even would give 0.000.
    assert rules.weighted_score([(1, Decimal("0.01")), (0, Decimal("19.99"))]) == Decimal("0.001")


def test_weighted_score_without_weights_is_an_error():
    with pytest.raises(ValueError):
        rules.weighted_score([])


def test_keywords_are_normalised_and_matched_as_words():
    assert rules.normalise_keywords(" NLP, speech\n Computer  Vision; nlp ,,") == [
        "nlp",
        "speech",
        "computer vision",
    ]
    text = rules.words("Speech recognition for Kazakh; vision of a computer. Сөйлеу")
    assert rules.keyword_overlap(["speech", "computer vision", "nlp", "сөйлеу"], text) == [
        "speech",
        "computer vision",
        "сөйлеу",
    ]
    # Words, not substrings: "speech" does not match "speeches".
    assert rules.keyword_overlap(["speech"], rules.words("speeches")) == []


def _at(day, hour):
    return datetime(2027, 3, day, hour, 0, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("now", "before", "on", "expected"),
    [
        (_at(10, 16), None, None, None),  # more than two days before
        (_at(10, 18), None, None, "due_soon"),  # exactly two days before 18:00 on the 12th
        (_at(11, 9), _at(10, 18), None, None),  # early one already sent
        (_at(12, 0), _at(10, 18), None, "due_today"),  # the due date, at midnight
        (_at(12, 20), _at(10, 18), None, "due_today"),  # after the due time, same date
        (_at(12, 9), _at(10, 18), _at(12, 0), None),  # both sent
        (_at(12, 1), None, None, "due_today"),  # first run on the date: only the due one
    ],
)
def test_reminder_due(settings, now, before, on, expected):
    settings.TIME_ZONE = "Asia/Almaty"
    due = _at(12, 18)
    assert (
        rules.reminder_due(
            due_at=due, now=now, reminded_before_due_at=before, reminded_on_due_at=on
        )
        == expected
    )


def test_overdue_flag():
    due = _at(12, 18)
    assert not rules.is_overdue(due_at=due, now=due)
    assert rules.is_overdue(due_at=due, now=due + timedelta(seconds=1))
