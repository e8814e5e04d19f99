"""Editing a draft: the full-page save, htmx autosave (all or nothing) and bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState, ResourceRequest, TeamRole
from allocations.core.models import AuditEvent
from tests.factories import UserFactory
from tests.factories_applications import add_to_team, call_with_resources, draft_for, edit_data

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def setup(client, applicant):
    call, capacities = call_with_resources(capacities=(100_000, 50_000), max_duration_months=12)
    application = draft_for(applicant, call=call, hours=1000)
    client.force_login(applicant)
    return client, application, capacities


def _urls(application):
    return (
        reverse("applications:application_edit", args=[application.pk]),
        reverse("applications:application_autosave", args=[application.pk]),
    )


def _snapshot(application):
    application.refresh_from_db()
    requests = dict(application.requests.values_list("resource_id", "gpu_hours"))
    return (
        application.justification,
        application.start_date,
        application.duration_months,
        application.software_and_data,
        requests,
    )


def test_edit_page_has_one_field_per_resource_and_autosave(setup):
    client, application, capacities = setup
    edit_url, autosave_url = _urls(application)
    content = client.get(edit_url).content.decode()
    for capacity in capacities:
        assert f'name="gpu_hours_{capacity.resource_id}"' in content
    assert f'hx-post="{autosave_url}"' in content
    assert 'hx-trigger="input changed delay:800ms"' in content
    assert f'action="{edit_url}"' in content
    assert 'enctype="multipart/form-data"' in content
    assert 'value="1000"' in content


def test_full_page_save_writes_everything(setup):
    client, application, capacities = setup
    first, second = capacities
    edit_url, _ = _urls(application)
    start = timezone.localdate() + timedelta(days=10)
    data = edit_data(
        application,
        justification="New justification",
        start_date=start.isoformat(),
        duration_months="12",
        **{f"gpu_hours_{first.resource_id}": "", f"gpu_hours_{second.resource_id}": "50000"},
    )
    response = client.post(edit_url, data, follow=True)
    assert response.redirect_chain[-1][0] == edit_url
    assert "Saved at" in response.content.decode()
    assert _snapshot(application) == (
        "New justification",
        start,
        12,
        application.software_and_data,
        {second.resource_id: 50000},
    )
    assert AuditEvent.objects.filter(verb="application.draft_saved").count() == 1


BAD_INPUT = [
    ("above capacity", lambda c: {f"gpu_hours_{c[1].resource_id}": "50001"}, "at most 50000"),
    ("zero hours", lambda c: {f"gpu_hours_{c[0].resource_id}": "0"}, "at least 1"),
    ("negative hours", lambda c: {f"gpu_hours_{c[0].resource_id}": "-5"}, "at least 1"),
    ("fractional hours", lambda c: {f"gpu_hours_{c[0].resource_id}": "2.5"}, "whole number"),
    ("duration above max", lambda c: {"duration_months": "13"}, "between 1 and 12"),
    ("duration zero", lambda c: {"duration_months": "0"}, "between 1 and 12"),
    (
        "start in the past",
        lambda c: {"start_date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        "cannot be in the past",
    ),
    ("start not a date", lambda c: {"start_date": "31/31/2026"}, "valid date"),
]


@pytest.mark.parametrize(("case", "bad", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_full_page_bad_input_saves_nothing_and_keeps_typing(setup, case, bad, message):
    client, application, capacities = setup
    edit_url, _ = _urls(application)
    before = _snapshot(application)
    data = edit_data(application, justification="Typed but not saved", **bad(capacities))
    response = client.post(edit_url, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert message.lower() in content.lower()
    assert "Not saved: correct the marked fields" in content
    assert "Typed but not saved" in content
    for value in bad(capacities).values():
        assert f'value="{value}"' in content
    assert 'aria-invalid="true"' in content
    assert _snapshot(application) == before
    assert not AuditEvent.objects.filter(verb="application.draft_saved").exists()


def test_autosave_valid_saves_and_answers_with_status_only(setup):
    client, application, capacities = setup
    _, autosave_url = _urls(application)
    data = edit_data(
        application,
        justification="Autosaved text",
        **{f"gpu_hours_{capacities[1].resource_id}": "700"},
    )
    response = client.post(autosave_url, data, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="save-status"' in content
    assert "Saved at" in content
    # The typed text is never sent back: no input or textarea is swapped.
    assert "<textarea" not in content and "<input" not in content
    assert 'hx-swap-oob="true"' in content
    justification, *_rest, requests = _snapshot(application)
    assert justification == "Autosaved text"
    assert requests[capacities[1].resource_id] == 700


@pytest.mark.parametrize(("case", "bad", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_autosave_invalid_saves_nothing_and_returns_field_errors(setup, case, bad, message):
    client, application, capacities = setup
    _, autosave_url = _urls(application)
    before = _snapshot(application)
    data = edit_data(application, justification="Half-typed", **bad(capacities))
    response = client.post(autosave_url, data, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Not saved: correct the marked fields" in content
    assert message.lower() in content.lower()
    field = next(iter(bad(capacities)))
    assert f'id="id_{field}_errors" class="field-errors" hx-swap-oob="true"><ul' in content
    assert "<textarea" not in content
    assert _snapshot(application) == before


def test_autosave_audits_at_most_once_per_interval(setup):
    client, application, _capacities = setup
    _, autosave_url = _urls(application)
    for text in ("one", "two", "three"):
        client.post(autosave_url, edit_data(application, justification=text), **HTMX)
    assert _snapshot(application)[0] == "three"
    assert AuditEvent.objects.filter(verb="application.draft_saved").count() == 1


def test_co_pi_may_edit_but_plain_member_may_not(client, applicant):
    application = draft_for(UserFactory())
    co_pi, member = UserFactory(), UserFactory()
    add_to_team(application.project, co_pi, TeamRole.CO_PI)
    add_to_team(application.project, member, TeamRole.MEMBER)
    _, autosave_url = _urls(application)
    client.force_login(member)
    response = client.post(autosave_url, edit_data(application, justification="member"), **HTMX)
    assert response.status_code == 403
    client.force_login(co_pi)
    response = client.post(autosave_url, edit_data(application, justification="co-pi"), **HTMX)
    assert "Saved at" in response.content.decode()
    assert _snapshot(application)[0] == "co-pi"


@pytest.mark.parametrize("state", [ApplicationState.SUBMITTED, ApplicationState.PEER_REVIEW])
def test_submitted_application_is_read_only(client, applicant, state):
    application = draft_for(applicant, state=state, submitted_at=timezone.now())
    client.force_login(applicant)
    edit_url, autosave_url = _urls(application)
    before = _snapshot(application)

    response = client.get(edit_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "applications:application_detail", args=[application.pk]
    )
    assert "can no longer be changed" in response.content.decode()

    data = edit_data(application, justification="Sneaky change", duration_months="2")
    response = client.post(edit_url, data)
    assert response.status_code == 302
    response = client.post(autosave_url, data, **HTMX)
    assert "can no longer be changed" in response.content.decode()
    assert "Saved at" not in response.content.decode()
    assert _snapshot(application) == before
    assert not AuditEvent.objects.filter(verb="application.draft_saved").exists()


def test_changes_requested_application_is_editable(client, applicant):
    application = draft_for(
        applicant, state=ApplicationState.CHANGES_REQUESTED, submitted_at=timezone.now()
    )
    client.force_login(applicant)
    edit_url, _ = _urls(application)
    assert client.get(edit_url).status_code == 200
    client.post(edit_url, edit_data(application, justification="Revised"))
    assert _snapshot(application)[0] == "Revised"


def test_blank_draft_values_are_allowed(setup):
    client, application, capacities = setup
    edit_url, _ = _urls(application)
    data = {
        "start_date": "",
        "duration_months": "",
        "justification": "",
        "software_and_data": "",
        **{f"gpu_hours_{c.resource_id}": "" for c in capacities},
    }
    assert client.post(edit_url, data).status_code == 302
    assert _snapshot(application) == ("", None, None, "", {})
    assert not ResourceRequest.objects.filter(application=application).exists()


def test_other_project_resources_cannot_be_smuggled_in(setup):
    """Only the call's resources are read from the form; unknown fields are ignored."""
    client, application, _capacities = setup
    _other_call, other_rows = call_with_resources(capacities=(10,))
    edit_url, _ = _urls(application)
    data = edit_data(application, **{f"gpu_hours_{other_rows[0].resource_id}": "5"})
    client.post(edit_url, data)
    assert other_rows[0].resource_id not in _snapshot(application)[4]


def test_request_on_a_resource_the_call_dropped_is_removed_on_save(setup):
    client, application, capacities = setup
    dropped = capacities[0]
    dropped.delete()
    edit_url, _ = _urls(application)
    client.post(edit_url, edit_data(application, justification="after the call changed"))
    justification, *_rest, requests = _snapshot(application)
    assert justification == "after the call changed"
    assert dropped.resource_id not in requests
