"""Publishing guards, call states at given moments, list queries and the closing-calls report."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.calls import selectors, services, tasks
from allocations.calls.models import CallState
from allocations.core.models import AuditEvent
from tests.factories import (
    CallFactory,
    CallResourceFactory,
    ResourceFactory,
    RubricCriterionFactory,
    UserFactory,
    make_staff,
)

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


# --- States at given moments -------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "continuous", "now", "expected"),
    [
        (False, False, T0 + timedelta(days=5), CallState.DRAFT),
        (True, False, T0 - timedelta(seconds=1), CallState.SCHEDULED),
        (True, False, T0, CallState.OPEN),
        (True, False, T0 + timedelta(days=9, hours=23), CallState.OPEN),
        (True, False, T0 + timedelta(days=10), CallState.CLOSED),
        (True, False, T0 + timedelta(days=400), CallState.CLOSED),
        (True, True, T0 - timedelta(days=1), CallState.SCHEDULED),
        (True, True, T0, CallState.OPEN),
        (True, True, T0 + timedelta(days=4000), CallState.OPEN),
        (False, True, T0 + timedelta(days=1), CallState.DRAFT),
    ],
)
def test_state_at(published, continuous, now, expected):
    call = CallFactory.build(
        is_published=published,
        is_continuous=continuous,
        opens_at=T0,
        closes_at=None if continuous else T0 + timedelta(days=10),
    )
    assert call.state_at(now) == expected
    assert call.is_open_at(now) is (expected == CallState.OPEN)


@pytest.mark.django_db
@pytest.mark.parametrize("days", [-1, 0, 3, 10, 11, 500])
def test_state_filter_in_database_matches_state_at(days):
    now = T0 + timedelta(days=days)
    CallFactory(slug="draft", is_published=False, opens_at=T0, closes_at=T0 + timedelta(days=10))
    CallFactory(slug="windowed", opens_at=T0, closes_at=T0 + timedelta(days=10))
    CallFactory(slug="continuous", opens_at=T0, closes_at=None, is_continuous=True)
    CallFactory(slug="later", opens_at=T0 + timedelta(days=11), closes_at=T0 + timedelta(days=20))
    everything = selectors.calls_for_staff(now=now)
    assert len(everything) == 4
    for state in CallState:
        expected = {c.slug for c in everything if c.state_at(now) == state}
        found = {c.slug for c in selectors.calls_for_staff(now=now, state=state)}
        assert found == expected, state
        assert all(c.state == state for c in selectors.calls_for_staff(now=now, state=state))
    open_now = {c.slug for c in selectors.open_calls(now=now)}
    assert open_now == {c.slug for c in everything if c.state == CallState.OPEN}


def test_home_page_lists_only_open_calls(client, db):
    CallFactory(title="Open one")
    CallFactory(title="Draft one", is_published=False)
    CallFactory(
        title="Closed one",
        opens_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(days=1),
    )
    body = client.get(reverse("core:home")).content.decode()
    assert "Open one" in body
    assert "Draft one" not in body and "Closed one" not in body


# --- Publishing ---------------------------------------------------------------


def test_publish_requires_capacity_and_criterion(call_manager):
    call = CallFactory(is_published=False)
    with pytest.raises(ValidationError) as refused:
        services.publish_call(actor=call_manager, call_id=call.pk)
    text = " ".join(refused.value.messages)
    assert "resource capacity" in text and "rubric criterion" in text
    CallResourceFactory(call=call)
    with pytest.raises(ValidationError, match="rubric criterion"):
        services.publish_call(actor=call_manager, call_id=call.pk)
    call.refresh_from_db()
    assert not call.is_published
    assert not AuditEvent.objects.filter(verb="call.published").exists()

    RubricCriterionFactory(call=call)
    services.publish_call(actor=call_manager, call_id=call.pk)
    call.refresh_from_db()
    assert call.is_published
    event = AuditEvent.objects.get(verb="call.published")
    assert (event.actor, event.from_state, event.to_state) == (call_manager, "draft", "published")


def test_publish_twice_is_refused(call_manager):
    call = CallFactory(is_published=True)
    with pytest.raises(ValidationError, match="already published"):
        services.publish_call(actor=call_manager, call_id=call.pk)
    with pytest.raises(ValidationError, match="not published"):
        services.unpublish_call(actor=call_manager, call_id=CallFactory(is_published=False).pk)


def test_publish_refusal_is_shown_on_the_page(client_as):
    client, _user = client_as("call_manager")
    call = CallFactory(is_published=False)
    response = client.post(reverse("calls:call_publish", args=[call.pk]), follow=True)
    body = response.content.decode()
    assert "at least one resource capacity before publishing" in body
    assert "at least one rubric criterion before publishing" in body
    call.refresh_from_db()
    assert not call.is_published


@pytest.mark.parametrize("role", ["applicant", "reviewer", "assessor", "finance", "import_desk"])
def test_services_refuse_without_capability(request, role):
    user = request.getfixturevalue(role)
    call = CallFactory(is_published=False)
    CallResourceFactory(call=call)
    RubricCriterionFactory(call=call)
    with pytest.raises(PermissionDenied):
        services.publish_call(actor=user, call_id=call.pk)
    with pytest.raises(PermissionDenied):
        services.create_resource(actor=user, data={"name": "x"})
    call.refresh_from_db()
    assert not call.is_published


def test_resource_used_by_running_call_cannot_be_deactivated(call_manager):
    resource = ResourceFactory()
    call = CallFactory(title="Running call")
    CallResourceFactory(call=call, resource=resource)
    with pytest.raises(ValidationError, match="Running call"):
        services.set_resource_active(
            actor=call_manager, resource_id=resource.pk, active=False, now=timezone.now()
        )
    resource.refresh_from_db()
    assert resource.is_active
    later = call.closes_at + timedelta(minutes=1)
    services.set_resource_active(
        actor=call_manager, resource_id=resource.pk, active=False, now=later
    )
    resource.refresh_from_db()
    assert not resource.is_active
    assert AuditEvent.objects.filter(verb="resource.deactivated").count() == 1


# --- Public page content ---------------------------------------------------------


def test_call_page_shows_terms_and_apply_link_only_when_open(client, db):
    call = CallFactory(
        title="H200 academic",
        eligible_categories=["university", "research"],
        reviewers_per_application=3,
        reply_window_days=10,
        scale_min=0,
        scale_max=10,
    )
    CallResourceFactory(
        call=call, resource=ResourceFactory(name="H200 east"), capacity_gpu_hours=12_345
    )
    RubricCriterionFactory(call=call, name="Impact", weight=3)
    RubricCriterionFactory(call=call, name="Team", weight=1)
    body = client.get(reverse("calls:call_detail", args=[call.slug])).content.decode()
    for text in [
        "H200 east",
        "12,345",
        "University",
        "Research centre",
        "Impact",
        "75.0 %",
        "25.0 %",
        "0 (lowest) to 10 (highest)",
        "within 10 days",
    ]:
        assert text in body, text
    assert "Startup" not in body.split("Who may apply")[1].split("</dd>")[0]
    apply_url = reverse("applications:application_start", args=[call.slug])
    assert f'href="{apply_url}">Apply</a>' in body

    call.closes_at = timezone.now() - timedelta(minutes=1)
    call.opens_at = timezone.now() - timedelta(days=2)
    call.save()
    body = client.get(reverse("calls:call_detail", args=[call.slug])).content.decode()
    assert "Apply</a>" not in body
    assert "closed to new applications" in body


def test_scheduled_and_draft_calls_offer_no_apply_link(client_as):
    client, _user = client_as("call_manager")
    later = CallFactory(
        opens_at=timezone.now() + timedelta(days=2), is_continuous=True, closes_at=None
    )
    draft = CallFactory(is_published=False)
    body = client.get(reverse("calls:call_detail", args=[later.slug])).content.decode()
    assert "Applications open on" in body and "continuous intake" in body
    assert "Apply</a>" not in body
    body = client.get(reverse("calls:call_detail", args=[draft.slug])).content.decode()
    assert "Apply</a>" not in body and "Edit this call" in body


# --- Staff list in constant queries --------------------------------------------


def _make_calls(count: int) -> None:
    resources = ResourceFactory.create_batch(2)
    for _ in range(count):
        call = CallFactory()
        for resource in resources:
            CallResourceFactory(call=call, resource=resource)
        RubricCriterionFactory.create_batch(2, call=call)


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("calls:staff_call_list"))
    assert response.status_code == 200
    return len(queries)


def test_staff_call_list_runs_constant_queries(client_as):
    client, _user = client_as("call_manager")
    _make_calls(3)
    few = _count_queries(client)
    _make_calls(27)
    many = _count_queries(client)
    assert few == many
    body = client.get(reverse("calls:staff_call_list")).content.decode()
    assert body.count("/edit/") == 30


def test_staff_list_counts_criteria_and_applications(db):
    from tests.factories import ApplicationFactory

    call = CallFactory()
    RubricCriterionFactory.create_batch(2, call=call)
    ApplicationFactory.create_batch(3, call=call)
    empty = CallFactory()
    counts = {
        c.pk: (c.criteria_count, c.application_count)
        for c in selectors.calls_for_staff(now=timezone.now())
    }
    assert counts == {call.pk: (2, 3), empty.pk: (0, 0)}


def test_staff_call_list_htmx_filter_returns_table_only(client_as):
    client, _user = client_as("call_manager")
    CallFactory(title="Draft in list", is_published=False)
    CallFactory(title="Open in list")
    response = client.get(
        reverse("calls:staff_call_list"), {"state": "draft"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="call-table"' in body
    assert "Draft in list" in body and "Open in list" not in body
    full = client.get(reverse("calls:staff_call_list"), {"state": "bogus"}).content.decode()
    assert "Draft in list" in full and "Open in list" in full and "<html" in full


# --- Daily report to call managers ------------------------------------------------


def test_report_closing_calls_emails_call_managers(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    first = make_staff("call_manager", email="cm1@example.org")
    second = make_staff("call_manager", email="cm2@example.org", language="ru")
    make_staff("finance", email="finance@example.org")
    UserFactory(email="applicant@example.org")
    CallFactory(
        title="Closing tomorrow", slug="closing-tomorrow", closes_at=now + timedelta(days=1)
    )
    CallFactory(title="Closing in 5 days", closes_at=now + timedelta(days=5))
    CallFactory(
        title="Closed already", opens_at=now - timedelta(days=9), closes_at=now - timedelta(hours=1)
    )
    CallFactory(title="Draft closing", is_published=False, closes_at=now + timedelta(days=1))
    CallFactory(title="Continuous", is_continuous=True, closes_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        sent = tasks.report_closing_calls.apply().get()

    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == [first.email, second.email]
    for message in mailoutbox:
        assert "Closing tomorrow" in message.body
        assert "/calls/closing-tomorrow/" in message.body
        for absent in ["Closing in 5 days", "Closed already", "Draft closing", "Continuous"]:
            assert absent not in message.body
    english = next(m for m in mailoutbox if m.to == [first.email])
    assert "1 call closes within three days" in english.subject


def test_report_closing_calls_sends_nothing_when_none_close(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    make_staff("call_manager")
    CallFactory(closes_at=timezone.now() + timedelta(days=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_closing_calls(now=timezone.now()) == 0
    assert mailoutbox == []


def test_report_task_is_scheduled_by_beat():
    from portal.celery import app

    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "allocations.calls.tasks.report_closing_calls" in names
    assert tasks.report_closing_calls.name == "allocations.calls.tasks.report_closing_calls"
