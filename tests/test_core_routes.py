"""Who may open the core pages: landing, dashboard, permissions, mailbox, health."""

import pytest
from django.core import mail
from django.urls import reverse

from allocations.core import audit
from allocations.core.models import AuditEvent, MailboxMessage
from tests import factories
from tests.conftest import ROLE_FIXTURES

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_home_is_public(client_as, role):
    client, _ = client_as(role)
    assert client.get(reverse("core:home")).status_code == 200


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ["core:dashboard", "core:permissions"])
def test_personal_pages_need_login(client_as, role, route):
    client, _ = client_as(role)
    response = client.get(reverse(route))
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    else:
        assert response.status_code == 200


MAILBOX_READERS = {"call_manager", "admin_user"}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_mailbox_is_for_call_managers_and_admins(client_as, role):
    message = MailboxMessage.objects.create(to="a@b.kz", subject="Secret link", body="body")
    client, _ = client_as(role)
    for url in (reverse("core:mailbox"), reverse("core:mailbox_message", args=[message.pk])):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302
        elif role in MAILBOX_READERS:
            assert response.status_code == 200
            assert b"Secret link" in response.content
        else:
            assert response.status_code == 403


def test_unknown_mailbox_message_is_404(client_as):
    client, _ = client_as("admin_user")
    assert client.get(reverse("core:mailbox_message", args=[999999])).status_code == 404


def test_healthz(client):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200 and response.content == b"ok"


def test_permissions_page_lists_the_users_roles(client_as):
    client, _ = client_as("call_manager")
    body = client.get(reverse("core:permissions")).content.decode()
    assert "Define resources, calls, rubrics and capacity" in body
    client, _ = client_as("applicant")
    body = client.get(reverse("core:permissions")).content.decode()
    assert "Register organisations, create projects and apply for GPU-hours" in body


def test_home_lists_only_open_published_calls(client):
    factories.CallFactory(title="Open call here")
    factories.CallFactory(title="Hidden draft call", is_published=False)
    body = client.get(reverse("core:home")).content.decode()
    assert "Open call here" in body
    assert "Hidden draft call" not in body


def test_audit_record_and_timeline(applicant):
    org = factories.OrganisationFactory()
    audit.record(
        actor=applicant,
        verb="x.changed",
        target=org,
        from_state="a",
        to_state="b",
        data={"reason": "why"},
    )
    events = list(audit.timeline_for(org))
    assert [(e.verb, e.actor, e.from_state, e.to_state, e.data) for e in events] == [
        ("x.changed", applicant, "a", "b", {"reason": "why"})
    ]
    assert AuditEvent.objects.count() == 1


def test_mailbox_backend_keeps_a_copy(settings):
    settings.MAILERS = {"default": {"BACKEND": "allocations.core.mail.MailboxOnlyBackend"}}
    mail.send_mail("Hello", "Body text", "from@x.kz", ["to@x.kz"])
    stored = MailboxMessage.objects.get()
    assert (stored.to, stored.subject, stored.body) == ("to@x.kz", "Hello", "Body text")


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_notifications_are_personal(client_as, role, other_applicant):
    from allocations.core.models import Notification

    theirs = Notification.objects.create(
        user=other_applicant, kind="x", subject="Someone else's notice", body="b"
    )
    client, user = client_as(role)
    response = client.get(reverse("core:notifications"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert b"Someone else's notice" not in response.content
    client.post(reverse("core:notifications_mark_read"), {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notify_user_stores_notice_and_emails_it_once(
    applicant, django_capture_on_commit_callbacks
):
    from allocations.core.models import Notification
    from allocations.core.notifications import notify_user
    from allocations.core.tasks import send_notification_email

    applicant.language = "ru"
    applicant.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify_user(
            applicant, template="worker_probe", context={"name": "N"}, url="/dashboard/"
        )
    notice.refresh_from_db()
    assert notice.subject == "Проверка доставки"
    assert notice.url == "/dashboard/" and notice.emailed_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Проверка доставки"
    send_notification_email(notification_id=notice.pk)  # a second run sends nothing
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=applicant, read_at__isnull=True).count() == 1


def test_marking_read_clears_the_header_count(client_as):
    from allocations.core.models import Notification

    client, user = client_as("applicant")
    Notification.objects.create(user=user, kind="x", subject="Hello there", body="b")
    page = client.get(reverse("core:dashboard")).content.decode()
    assert 'class="notify-count">1' in page
    client.post(reverse("core:notifications_mark_read"))
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "notify-count" not in page
