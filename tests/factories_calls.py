"""Helpers for the calls tests: a complete call-form submission as the browser would post it."""

from datetime import datetime

from allocations.calls.models import Call

FORMAT = "%Y-%m-%dT%H:%M"


def _management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def call_post_data(
    *,
    resources: list,
    opens_at: datetime,
    closes_at: datetime | None,
    call: Call | None = None,
    capacities: list[tuple] | None = None,
    criteria: list[dict] | None = None,
    **overrides,
) -> dict[str, object]:
    """POST data for the call form: new rows only unless `call` has stored rows.

    capacities: (resource, hours) pairs; criteria: dicts of name/description/weight/position.
    Stored rows of `call` are sent unchanged first (with their ids), new rows after them.
    """
    data: dict[str, object] = {
        "call-title": "H200 for startups 2027",
        "call-slug": "h200-startups-2027",
        "call-track": "startup",
        "call-description": "GPU-hours for Kazakh startups.",
        "call-opens_at": opens_at.strftime(FORMAT),
        "call-closes_at": closes_at.strftime(FORMAT) if closes_at else "",
        "call-eligible_categories": ["startup", "university"],
        "call-reviewers_per_application": "2",
        "call-blind_review": "on",
        "call-right_to_reply": "on",
        "call-reply_window_days": "7",
        "call-scale_min": "1",
        "call-scale_max": "5",
        "call-max_duration_months": "12",
    }
    if capacities is None:
        capacities = [(resources[0], 1000)]
    if criteria is None:
        criteria = [{"name": "Scientific merit", "weight": "2", "position": "1"}]
    stored_caps = list(call.capacities.all()) if call else []
    stored_crit = list(call.criteria.all()) if call else []
    data |= _management("capacities", len(stored_caps) + len(capacities), len(stored_caps))
    for i, cap in enumerate(stored_caps):
        data |= {
            f"capacities-{i}-id": str(cap.pk),
            f"capacities-{i}-resource": str(cap.resource_id),
            f"capacities-{i}-capacity_gpu_hours": str(cap.capacity_gpu_hours),
        }
    for j, (resource, hours) in enumerate(capacities, start=len(stored_caps)):
        data |= {
            f"capacities-{j}-resource": str(resource.pk) if resource else "",
            f"capacities-{j}-capacity_gpu_hours": str(hours),
        }
    data |= _management("criteria", len(stored_crit) + len(criteria), len(stored_crit))
    for i, criterion in enumerate(stored_crit):
        data |= {
            f"criteria-{i}-id": str(criterion.pk),
            f"criteria-{i}-name": criterion.name,
            f"criteria-{i}-description": criterion.description,
            f"criteria-{i}-weight": str(criterion.weight),
            f"criteria-{i}-position": str(criterion.position),
        }
    for j, row in enumerate(criteria, start=len(stored_crit)):
        data |= {
            f"criteria-{j}-name": row.get("name", ""),
            f"criteria-{j}-description": row.get("description", ""),
            f"criteria-{j}-weight": row.get("weight", "1"),
            f"criteria-{j}-position": row.get("position", "0"),
        }
    for key, value in overrides.items():
        data[f"call-{key}"] = value
    return {k: v for k, v in data.items() if v is not None}
