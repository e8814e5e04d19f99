"""Start, submit and withdraw: guards, audit events and the team's e-mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import OrganisationCategory
from allocations.applications.models import Application, ApplicationState, TeamRole
from allocations.core.models import AuditEvent
from tests.factories import ApplicationFactory, OrganisationFactory, ProjectFactory, UserFactory
from tests.factories_applications import add_to_team, call_with_resources, draft_for


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _start(client, call, project):
    return client.post(
        reverse("applications:application_start", args=[call.slug]), {"project": project.pk}
    )


# --- Start ----------------------------------------------------------------------


def test_start_offers_only_projects_where_i_lead(client, applicant):
    call, _ = call_with_resources()
    led = ProjectFactory(pi=applicant, title="Led by me")
    co_led = ProjectFactory(title="Co-led by me")
    add_to_team(co_led, applicant, TeamRole.CO_PI)
    joined = ProjectFactory(title="Only a member")
    add_to_team(joined, applicant, TeamRole.MEMBER)
    client.force_login(applicant)
    content = client.get(reverse("applications:application_start", args=[call.slug])).content
    assert led.title.encode() in content and co_led.title.encode() in content
    assert b"Only a member" not in content
    response = _start(client, call, joined)
    assert "Select a valid choice" in response.content.decode()
    assert not Application.objects.exists()


def test_start_creates_a_draft_with_audit(client, applicant):
    call, _ = call_with_resources()
    project = ProjectFactory(pi=applicant)
    client.force_login(applicant)
    response = _start(client, call, project)
    application = Application.objects.get()
    assert response["Location"] == reverse("applications:application_edit", args=[application.pk])
    assert application.state == ApplicationState.DRAFT
    assert application.created_by == applicant
    event = AuditEvent.objects.get(verb="application.created")
    assert (event.actor, event.from_state, event.to_state) == (applicant, "", "draft")
    assert event.target_id == str(application.pk)


def test_one_open_application_per_project_and_call(client, applicant):
    call, _ = call_with_resources()
    existing = draft_for(applicant, call=call)
    client.force_login(applicant)
    response = _start(client, call, existing.project)
    content = response.content.decode()
    assert response.status_code == 200
    assert "already has an open application" in content
    assert reverse("applications:application_detail", args=[existing.pk]) in content
    assert Application.objects.count() == 1
    # Once withdrawn, the project may apply again.
    existing.state = ApplicationState.WITHDRAWN
    existing.save()
    assert _start(client, call, existing.project).status_code == 302
    assert Application.objects.count() == 2


def test_database_refuses_a_second_open_application(db):
    application = ApplicationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(project=application.project, call=application.call)


@pytest.mark.parametrize(
    "window",
    [
        {"closes_at_delta": -1, "opens_at_delta": -10},
        {"closes_at_delta": 20, "opens_at_delta": 5},
    ],
    ids=["closed", "not yet open"],
)
def test_start_refused_when_call_not_open(client, applicant, window):
    now = timezone.now()
    call, _ = call_with_resources(
        opens_at=now + timedelta(days=window["opens_at_delta"]),
        closes_at=now + timedelta(days=window["closes_at_delta"]),
    )
    project = ProjectFactory(pi=applicant)
    client.force_login(applicant)
    page = client.get(reverse("applications:application_start", args=[call.slug]))
    assert "not open for applications" in page.content.decode()
    response = _start(client, call, project)
    assert "not open for applications" in response.content.decode()
    assert not Application.objects.exists()


def test_unpublished_call_is_404(client, applicant):
    call, _ = call_with_resources(is_published=False)
    project = ProjectFactory(pi=applicant)
    client.force_login(applicant)
    assert _start(client, call, project).status_code == 404
    assert not Application.objects.exists()


def test_start_refused_for_ineligible_organisation_category(client, applicant):
    call, _ = call_with_resources(eligible_categories=[OrganisationCategory.UNIVERSITY])
    organisation = OrganisationFactory(category=OrganisationCategory.COMPANY)
    project = ProjectFactory(pi=applicant, organisation=organisation)
    client.force_login(applicant)
    response = _start(client, call, project)
    content = response.content.decode()
    assert "does not accept applications from that category" in content
    assert "Company" in content
    assert not Application.objects.exists()


# --- Submit ----------------------------------------------------------------------


def _submit(client, application):
    return client.post(reverse("applications:application_submit", args=[application.pk]))


def test_incomplete_draft_lists_what_is_missing(client, applicant):
    application = draft_for(
        applicant, hours=0, justification="  ", start_date=None, duration_months=None
    )
    client.force_login(applicant)
    page = client.get(reverse("applications:application_submit", args=[application.pk]))
    response = _submit(client, application)
    for content in (page.content.decode(), response.content.decode()):
        assert "Write the justification" in content
        assert "Give the requested start date" in content
        assert "Give the duration in months" in content
        assert "Request GPU-hours on at least one resource" in content
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT and application.submitted_at is None
    assert not AuditEvent.objects.filter(verb="application.submitted").exists()
    assert mail.outbox == []


def test_submit_refused_when_call_closed_or_organisation_ineligible(client, applicant):
    application = draft_for(applicant)
    call = application.call
    call.closes_at = timezone.now() - timedelta(minutes=1)
    call.eligible_categories = [OrganisationCategory.GOVERNMENT]
    call.save()
    client.force_login(applicant)
    content = _submit(client, application).content.decode()
    assert "no longer open" in content
    assert "not eligible" in content
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_submit_records_audit_and_mails_the_team(
    client, applicant, django_capture_on_commit_callbacks
):
    application = draft_for(applicant)
    colleague = UserFactory(language="ru")
    add_to_team(application.project, colleague, TeamRole.MEMBER)
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, application)
    assert response["Location"] == reverse("applications:application_detail", args=[application.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.submitted_at is not None
    event = AuditEvent.objects.get(verb="application.submitted")
    assert (event.actor, event.from_state, event.to_state) == (applicant, "draft", "submitted")
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([applicant.email, colleague.email])
    english = next(m for m in mail.outbox if m.to == [applicant.email])
    assert application.reference in english.subject
    assert application.project.title in english.body
    assert reverse("applications:application_detail", args=[application.pk]) in english.body


def test_only_the_pi_submits(client, applicant):
    application = draft_for(UserFactory())
    add_to_team(application.project, applicant, TeamRole.CO_PI)
    client.force_login(applicant)
    assert _submit(client, application).status_code == 403
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_submitting_twice_is_refused(client, applicant):
    application = draft_for(applicant, submitted=True)
    client.force_login(applicant)
    response = _submit(client, application)
    assert "already been submitted" in response.content.decode()
    assert AuditEvent.objects.filter(verb="application.submitted").count() == 0


# --- Withdraw --------------------------------------------------------------------


def _withdraw(client, application, reason="We got time elsewhere."):
    url = reverse("applications:application_withdraw", args=[application.pk])
    return client.post(url, {"reason": reason})


@pytest.mark.parametrize("state", [ApplicationState.SUBMITTED, ApplicationState.DRAFT])
def test_withdraw_with_reason(client, applicant, state):
    submitted_at = timezone.now() if state != ApplicationState.DRAFT else None
    application = draft_for(applicant, state=state, submitted_at=submitted_at)
    client.force_login(applicant)
    response = _withdraw(client, application)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    event = AuditEvent.objects.get(verb="application.withdrawn")
    assert (event.actor, event.from_state, event.to_state) == (applicant, state, "withdrawn")
    assert event.data["reason"] == "We got time elsewhere."


def test_withdraw_needs_a_reason(client, applicant):
    application = draft_for(applicant, submitted=True)
    client.force_login(applicant)
    response = _withdraw(client, application, reason="   ")
    assert "This field is required" in response.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("state", [ApplicationState.APPROVED, ApplicationState.REJECTED])
def test_withdraw_refused_from_final_states(client, applicant, state):
    application = draft_for(applicant, state=state, submitted_at=timezone.now())
    client.force_login(applicant)
    response = _withdraw(client, application)
    assert "can no longer be withdrawn" in response.content.decode()
    application.refresh_from_db()
    assert application.state == state
    assert not AuditEvent.objects.filter(verb="application.withdrawn").exists()


def test_only_the_pi_withdraws(client, applicant):
    application = draft_for(UserFactory(), submitted=True)
    add_to_team(application.project, applicant, TeamRole.CO_PI)
    client.force_login(applicant)
    assert _withdraw(client, application).status_code == 403
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


# --- Detail page -------------------------------------------------------------------


def test_detail_shows_state_and_allowed_actions(client, applicant):
    application = draft_for(applicant)
    client.force_login(applicant)
    url = reverse("applications:application_detail", args=[application.pk])
    content = client.get(url).content.decode()
    assert "badge state-draft" in content
    assert reverse("applications:application_edit", args=[application.pk]) in content
    assert reverse("applications:application_submit", args=[application.pk]) in content
    application.state, application.submitted_at = ApplicationState.SUBMITTED, timezone.now()
    application.save()
    content = client.get(url).content.decode()
    assert "badge state-submitted" in content
    assert reverse("applications:application_edit", args=[application.pk]) not in content
    assert reverse("applications:application_withdraw", args=[application.pk]) in content
