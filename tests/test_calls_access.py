"""Who may use which route of the calls area, per role."""

import pytest
from django.urls import reverse

from allocations.calls.models import Call, Resource
from allocations.core.models import AuditEvent
from tests.conftest import ROLE_FIXTURES
from tests.factories import (
    CallFactory,
    CallResourceFactory,
    ResourceFactory,
    RubricCriterionFactory,
)

MANAGERS = {"call_manager", "admin_user"}


def _expected_staff(role: str) -> int:
    if role == "anonymous":
        return 302
    return 200 if role in MANAGERS else 403


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def draft_call(db):
    call = CallFactory(is_published=False, title="Secret draft call")
    CallResourceFactory(call=call)
    RubricCriterionFactory(call=call)
    return call


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize(
    "route",
    ["calls:staff_call_list", "calls:call_create", "calls:resource_list", "calls:resource_create"],
)
def test_staff_pages_per_role(client_as, role, route):
    client, _user = client_as(role)
    response = client.get(reverse(route))
    expected = _expected_staff(role)
    if expected == 302:
        _assert_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_call_edit_per_role(client_as, role, draft_call):
    client, _user = client_as(role)
    response = client.get(reverse("calls:call_edit", args=[draft_call.pk]))
    expected = _expected_staff(role)
    if expected == 302:
        _assert_login_redirect(response)
    else:
        assert response.status_code == expected
    if expected == 200:
        assert "Secret draft call" in response.content.decode()


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_resource_edit_per_role(client_as, role, db):
    resource = ResourceFactory(name="Visible H200")
    client, _user = client_as(role)
    response = client.get(reverse("calls:resource_edit", args=[resource.pk]))
    expected = _expected_staff(role)
    if expected == 302:
        _assert_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_publish_per_role(client_as, role, draft_call):
    client, _user = client_as(role)
    response = client.post(reverse("calls:call_publish", args=[draft_call.pk]))
    draft_call.refresh_from_db()
    if role == "anonymous":
        _assert_login_redirect(response)
    elif role in MANAGERS:
        assert response.status_code == 302
        assert response["Location"] == reverse("calls:call_edit", args=[draft_call.pk])
        assert draft_call.is_published
        return
    else:
        assert response.status_code == 403
    assert not draft_call.is_published
    assert not AuditEvent.objects.filter(verb="call.published").exists()


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_unpublish_per_role(client_as, role, db):
    call = CallFactory(is_published=True)
    client, _user = client_as(role)
    response = client.post(reverse("calls:call_unpublish", args=[call.pk]))
    call.refresh_from_db()
    if role in MANAGERS:
        assert response.status_code == 302
        assert not call.is_published
        assert AuditEvent.objects.filter(verb="call.unpublished", target_id=str(call.pk)).exists()
    else:
        assert call.is_published
        if role == "anonymous":
            _assert_login_redirect(response)
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("action", ["deactivate", "activate"])
def test_resource_activation_per_role(client_as, role, action, db):
    resource = ResourceFactory(is_active=action == "deactivate")
    client, _user = client_as(role)
    response = client.post(reverse(f"calls:resource_{action}", args=[resource.pk]))
    resource.refresh_from_db()
    if role in MANAGERS:
        assert response.status_code == 302
        assert response["Location"] == reverse("calls:resource_list")
        assert resource.is_active is (action == "activate")
    else:
        assert resource.is_active is (action != "activate")
        if role == "anonymous":
            _assert_login_redirect(response)
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_published_call_page_is_public(client_as, role, db):
    call = CallFactory(title="Public H200 call", description="Bring your models.")
    client, _user = client_as(role)
    response = client.get(reverse("calls:call_detail", args=[call.slug]))
    assert response.status_code == 200
    assert "Public H200 call" in response.content.decode()


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_unpublished_call_page_only_for_managers(client_as, role, draft_call):
    client, _user = client_as(role)
    response = client.get(reverse("calls:call_detail", args=[draft_call.slug]))
    if role in MANAGERS:
        assert response.status_code == 200
        body = response.content.decode()
        assert "Secret draft call" in body
        assert "not published" in body
    else:
        assert response.status_code == 404
        assert "Secret draft call" not in response.content.decode()


@pytest.mark.parametrize("route", ["calls:call_edit", "calls:resource_edit"])
def test_unknown_ids_are_404(client_as, route):
    client, _user = client_as("call_manager")
    assert client.get(reverse(route, args=[987654])).status_code == 404


@pytest.mark.parametrize(
    "route",
    [
        "calls:call_publish",
        "calls:call_unpublish",
        "calls:resource_deactivate",
        "calls:resource_activate",
    ],
)
def test_unknown_ids_are_404_on_post(client_as, route):
    client, _user = client_as("call_manager")
    assert client.post(reverse(route, args=[987654])).status_code == 404


def test_unknown_slug_is_404(client, db):
    assert client.get(reverse("calls:call_detail", args=["no-such-call"])).status_code == 404


@pytest.mark.parametrize(
    "route",
    [
        "calls:call_publish",
        "calls:call_unpublish",
        "calls:resource_deactivate",
        "calls:resource_activate",
    ],
)
def test_state_changes_refuse_get(client_as, draft_call, route):
    client, _user = client_as("call_manager")
    target = draft_call.pk if "call_" in route else ResourceFactory().pk
    assert client.get(reverse(route, args=[target])).status_code == 405
    assert Call.objects.get(pk=draft_call.pk).is_published is False
    assert Resource.objects.filter(is_active=False).count() == 0
