"""Call and resource forms: good input saves everything, bad input saves nothing."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.calls.models import Call, CallResource, Resource, RubricCriterion
from allocations.core.models import AuditEvent
from tests.factories import (
    CallFactory,
    CallResourceFactory,
    ResourceFactory,
    RubricCriterionFactory,
)
from tests.factories_calls import call_post_data


def field_errors(body: str, field_id: str) -> str:
    """The text of the error list rendered for one field (empty if none)."""
    match = re.search(
        rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', body, re.S
    )
    return html.unescape(match.group(1)) if match else ""


def nonform_errors(body: str) -> str:
    found = re.findall(r'<ul class="errorlist nonform"[^>]*>(.*?)</ul>', body, re.S)
    return html.unescape(" ".join(found))


@pytest.fixture
def manager_client(client_as):
    client, _user = client_as("call_manager")
    return client


@pytest.fixture
def resource(db):
    return ResourceFactory(name="H200 main", capacity_gpu_hours=50_000)


@pytest.fixture
def window():
    opens = timezone.localtime() + timedelta(days=1)
    return {"opens_at": opens, "closes_at": opens + timedelta(days=30)}


def post_new(client, data):
    return client.post(reverse("calls:call_create"), data)


# --- Good input ---------------------------------------------------------------


def test_create_call_saves_call_capacities_and_rubric(manager_client, resource, window):
    second = ResourceFactory(name="H200 small", capacity_gpu_hours=1_000)
    data = call_post_data(
        resources=[resource],
        capacities=[(resource, 20_000), (second, 500)],
        criteria=[
            {"name": "Merit", "weight": "3", "position": "1", "description": "Novelty"},
            {"name": "Feasibility", "weight": "1.5", "position": "2"},
        ],
        **window,
    )
    response = post_new(manager_client, data)
    call = Call.objects.get(slug="h200-startups-2027")
    assert response.status_code == 302
    assert response["Location"] == reverse("calls:call_edit", args=[call.pk])
    assert not call.is_published
    assert call.eligible_categories == ["startup", "university"]
    assert {(c.resource.name, c.capacity_gpu_hours) for c in call.capacities.all()} == {
        ("H200 main", 20_000),
        ("H200 small", 500),
    }
    assert [(c.name, c.weight) for c in call.criteria.all()] == [
        ("Merit", Decimal("3.00")),
        ("Feasibility", Decimal("1.50")),
    ]
    event = AuditEvent.objects.get(verb="call.created")
    assert event.target_id == str(call.pk)


def test_continuous_call_ignores_closing_time(manager_client, resource, window):
    data = call_post_data(resources=[resource], is_continuous="on", **window)
    assert post_new(manager_client, data).status_code == 302
    call = Call.objects.get()
    assert call.is_continuous and call.closes_at is None


def test_edit_keeps_criterion_ids_and_removes_deleted_rows(manager_client, resource, window):
    call = CallFactory(is_published=False)
    CallResourceFactory(call=call, resource=resource, capacity_gpu_hours=100)
    kept = RubricCriterionFactory(call=call, name="Kept")
    dropped = RubricCriterionFactory(call=call, name="Dropped")
    data = call_post_data(
        resources=[resource], call=call, capacities=[], criteria=[], slug=call.slug, **window
    )
    data["criteria-0-name"] = "Kept and renamed"
    data["criteria-1-DELETE"] = "on"
    data["capacities-0-capacity_gpu_hours"] = "300"
    response = manager_client.post(reverse("calls:call_edit", args=[call.pk]), data)
    assert response.status_code == 302
    assert list(call.criteria.values_list("pk", "name")) == [(kept.pk, "Kept and renamed")]
    assert not RubricCriterion.objects.filter(pk=dropped.pk).exists()
    assert call.capacities.get().capacity_gpu_hours == 300
    assert AuditEvent.objects.filter(verb="call.updated", target_id=str(call.pk)).exists()


def test_edit_page_shows_stored_values(manager_client, resource):
    call = CallFactory(title="Stored title", is_published=False)
    CallResourceFactory(call=call, resource=resource, capacity_gpu_hours=4321)
    RubricCriterionFactory(call=call, name="Stored criterion")
    body = manager_client.get(reverse("calls:call_edit", args=[call.pk])).content.decode()
    assert 'value="Stored title"' in body
    assert 'value="4321"' in body
    assert 'value="Stored criterion"' in body


# --- Bad input: each rule, error next to its field, values kept, nothing saved --


BAD_CALL_INPUT = [
    pytest.param(
        {"closes_at": "2020-01-01T10:00"},
        "id_call-closes_at",
        "close after it opens",
        id="closes-before-opens",
    ),
    pytest.param(
        {"closes_at": ""}, "id_call-closes_at", "Give a closing time", id="no-closing-time"
    ),
    pytest.param(
        {"eligible_categories": []},
        "id_call-eligible_categories",
        "at least one organisation category",
        id="no-category",
    ),
    pytest.param(
        {"scale_min": "5", "scale_max": "5"},
        "id_call-scale_max",
        "greater than the lowest",
        id="scale-not-ordered",
    ),
    pytest.param({"title": ""}, "id_call-title", "required", id="no-title"),
    pytest.param({"slug": "not a slug!"}, "id_call-slug", "slug", id="bad-slug"),
]


@pytest.mark.parametrize(("override", "field_id", "message"), BAD_CALL_INPUT)
def test_bad_call_input(manager_client, resource, window, override, field_id, message):
    data = call_post_data(resources=[resource], **window)
    for key, value in override.items():
        data[f"call-{key}"] = value
    data["call-description"] = "Typed description survives"
    response = post_new(manager_client, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert message.lower() in field_errors(body, field_id).lower()
    assert "Typed description survives" in body
    assert "Nothing was saved" in body
    assert Call.objects.count() == 0
    assert CallResource.objects.count() == 0
    assert RubricCriterion.objects.count() == 0


def test_duplicate_slug_is_refused(manager_client, resource, window):
    CallFactory(slug="h200-startups-2027")
    response = post_new(manager_client, call_post_data(resources=[resource], **window))
    assert "already exists" in field_errors(response.content.decode(), "id_call-slug")
    assert Call.objects.count() == 1


BAD_ROWS = [
    pytest.param(
        {"capacities": [("R", 0)]},
        "id_capacities-0-capacity_gpu_hours",
        "positive",
        id="capacity-zero",
    ),
    pytest.param(
        {"capacities": [("R", -5)]},
        "id_capacities-0-capacity_gpu_hours",
        "positive",
        id="capacity-negative",
    ),
    pytest.param(
        {"capacities": [("R", 50_001)]},
        "id_capacities-0-capacity_gpu_hours",
        "has only 50000 GPU-hours",
        id="capacity-over-resource",
    ),
    pytest.param(
        {"capacities": [("R", 10), ("R", 20)]},
        "id_capacities-1-resource",
        "already listed",
        id="resource-twice",
    ),
    pytest.param(
        {"criteria": [{"name": "Merit", "weight": "0"}]},
        "id_criteria-0-weight",
        "weight must be positive",
        id="weight-zero",
    ),
    pytest.param(
        {"criteria": [{"name": "Merit", "weight": "-1"}]},
        "id_criteria-0-weight",
        "weight must be positive",
        id="weight-negative",
    ),
    pytest.param(
        {"criteria": [{"name": "", "weight": "2", "description": "guidance only"}]},
        "id_criteria-0-name",
        "required",
        id="criterion-without-name",
    ),
]


@pytest.mark.parametrize(("rows", "field_id", "message"), BAD_ROWS)
def test_bad_formset_rows(manager_client, resource, window, rows, field_id, message):
    capacities = [(resource, hours) for _r, hours in rows.get("capacities", [(None, 1000)])]
    criteria = rows.get("criteria", [{"name": "Typed criterion", "weight": "2"}])
    data = call_post_data(resources=[resource], capacities=capacities, criteria=criteria, **window)
    response = post_new(manager_client, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert message.lower() in field_errors(body, field_id).lower()
    assert 'value="H200 for startups 2027"' in body
    assert Call.objects.count() == 0
    assert CallResource.objects.count() == 0
    assert RubricCriterion.objects.count() == 0


def test_inactive_resource_is_not_offered(manager_client, resource, window):
    retired = ResourceFactory(name="Retired", is_active=False)
    data = call_post_data(resources=[resource], capacities=[(retired, 10)], **window)
    response = post_new(manager_client, data)
    assert "valid choice" in field_errors(response.content.decode(), "id_capacities-0-resource")
    assert Call.objects.count() == 0


def test_published_call_must_keep_capacity_and_criterion(manager_client, resource, window):
    call = CallFactory(is_published=True)
    CallResourceFactory(call=call, resource=resource, capacity_gpu_hours=100)
    RubricCriterionFactory(call=call, name="Only criterion")
    data = call_post_data(
        resources=[resource],
        call=call,
        capacities=[],
        criteria=[],
        slug=call.slug,
        title="Renamed",
        **window,
    )
    data["capacities-0-DELETE"] = "on"
    data["criteria-0-DELETE"] = "on"
    response = manager_client.post(reverse("calls:call_edit", args=[call.pk]), data)
    errors = nonform_errors(response.content.decode())
    assert "at least one resource capacity" in errors
    assert "at least one rubric criterion" in errors
    call.refresh_from_db()
    assert call.title != "Renamed"
    assert call.capacities.count() == 1 and call.criteria.count() == 1


def test_failing_rubric_keeps_call_edit_unsaved(manager_client, resource, window):
    call = CallFactory(is_published=False, title="Before")
    data = call_post_data(
        resources=[resource],
        call=call,
        criteria=[{"name": "Bad", "weight": "0"}],
        slug=call.slug,
        title="After",
        **window,
    )
    response = manager_client.post(reverse("calls:call_edit", args=[call.pk]), data)
    assert response.status_code == 200
    assert 'value="After"' in response.content.decode()
    call.refresh_from_db()
    assert call.title == "Before"
    assert call.capacities.count() == 0
    assert not AuditEvent.objects.filter(target_id=str(call.pk)).exists()


# --- Resources -------------------------------------------------------------------


def resource_data(**overrides):
    data = {
        "name": "H200 north",
        "cluster": "kazgpu",
        "partition": "north",
        "gpu_type": "NVIDIA H200",
        "gpus_per_node": "8",
        "node_count": "4",
        "capacity_gpu_hours": "23000",
        "description": "Typed resource description",
    }
    return data | overrides


def test_create_and_edit_resource(manager_client, db):
    response = manager_client.post(reverse("calls:resource_create"), resource_data())
    assert response.status_code == 302
    resource = Resource.objects.get(name="H200 north")
    assert resource.capacity_gpu_hours == 23000 and resource.is_active
    response = manager_client.post(
        reverse("calls:resource_edit", args=[resource.pk]), resource_data(node_count="6")
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.node_count == 6
    assert set(AuditEvent.objects.values_list("verb", flat=True)) == {
        "resource.created",
        "resource.updated",
    }
    listing = manager_client.get(reverse("calls:resource_list")).content.decode()
    assert "H200 north" in listing and "23,000" in listing


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"capacity_gpu_hours": "0"}, "capacity_gpu_hours", "greater than or equal to 1"),
        ({"gpus_per_node": "0"}, "gpus_per_node", "greater than or equal to 1"),
        ({"node_count": "many"}, "node_count", "whole number"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_resource_input(manager_client, db, override, field, message):
    response = manager_client.post(reverse("calls:resource_create"), resource_data(**override))
    body = response.content.decode()
    assert response.status_code == 200
    assert message in field_errors(body, f"id_{field}")
    assert "Typed resource description" in body
    assert not Resource.objects.exists()


def test_resource_partition_must_be_unique(manager_client, db):
    ResourceFactory(cluster="kazgpu", partition="north")
    response = manager_client.post(reverse("calls:resource_create"), resource_data())
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Resource.objects.count() == 1


def test_resource_capacity_cannot_drop_below_a_call(manager_client, resource):
    CallResourceFactory(resource=resource, capacity_gpu_hours=40_000)
    response = manager_client.post(
        reverse("calls:resource_edit", args=[resource.pk]),
        resource_data(name=resource.name, partition=resource.partition, capacity_gpu_hours="100"),
    )
    body = response.content.decode()
    assert "40000" in field_errors(body, "id_capacity_gpu_hours")
    resource.refresh_from_db()
    assert resource.capacity_gpu_hours == 50_000
