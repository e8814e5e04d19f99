"""Deadlines: reminders two days before and on the due date (once each), expired reply
windows, and the beat tasks that call them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.core.models import AuditEvent, Notification
from allocations.reviews import services, tasks
from allocations.reviews.models import AssignmentState, ReviewAssignment
from portal.celery import app as celery_app
from tests.factories_reviews import application_in, assignment_for, pool_member, reply_window

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
DUE = datetime(2027, 3, 12, 18, 0, tzinfo=ALMATY)


@pytest.fixture
def assignment(settings):
    settings.TIME_ZONE = "Asia/Almaty"
    reviewer = pool_member()
    assignment = assignment_for(application_in(ApplicationState.PEER_REVIEW), reviewer)
    assignment.due_at = DUE
    assignment.save()
    return assignment


def _kinds(user):
    return list(
        Notification.objects.filter(user=user, kind__startswith="reviews_due")
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_each_reminder_goes_once_at_the_right_time(assignment, django_capture_on_commit_callbacks):
    reviewer = assignment.reviewer
    timeline = [
        (DUE - timedelta(days=3), []),
        (DUE - timedelta(days=2, minutes=1), []),
        (DUE - timedelta(days=2), ["reviews_due_soon"]),
        (DUE - timedelta(days=1), ["reviews_due_soon"]),
        (datetime(2027, 3, 11, 23, 59, tzinfo=ALMATY), ["reviews_due_soon"]),
        (datetime(2027, 3, 12, 0, 5, tzinfo=ALMATY), ["reviews_due_soon", "reviews_due_today"]),
        (DUE - timedelta(hours=1), ["reviews_due_soon", "reviews_due_today"]),
        (DUE + timedelta(days=2), ["reviews_due_soon", "reviews_due_today"]),
    ]
    for now, expected in timeline:
        with django_capture_on_commit_callbacks(execute=True):
            services.send_review_reminders(now=now)
        assert _kinds(reviewer) == expected, now
    assignment.refresh_from_db()
    assert assignment.reminded_before_due_at == DUE - timedelta(days=2)
    assert assignment.reminded_on_due_at == datetime(2027, 3, 12, 0, 5, tzinfo=ALMATY)
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(verb="review.reminded").count() == 2


def test_first_run_on_the_due_date_sends_only_the_due_date_reminder(assignment):
    assert services.send_review_reminders(now=DUE - timedelta(hours=2)) == 1
    assert services.send_review_reminders(now=DUE - timedelta(hours=1)) == 0
    assert _kinds(assignment.reviewer) == ["reviews_due_today"]


@pytest.mark.parametrize(
    "state", [AssignmentState.SUBMITTED, AssignmentState.DECLINED, AssignmentState.WITHDRAWN]
)
def test_no_reminder_for_closed_assignments(assignment, state):
    ReviewAssignment.objects.filter(pk=assignment.pk).update(state=state)
    assert services.send_review_reminders(now=DUE - timedelta(hours=2)) == 0


def test_no_reminder_once_the_review_phase_is_over(assignment):
    application = assignment.application
    application.state = ApplicationState.PANEL
    application.save()
    assert services.send_review_reminders(now=DUE) == 0


def test_accepted_assignments_are_reminded_too(assignment):
    ReviewAssignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.ACCEPTED)
    assert services.send_review_reminders(now=DUE - timedelta(days=1)) == 1


def test_expired_reply_windows_go_to_the_panel_once(applicant):
    expired = application_in(ApplicationState.REPLY, pi=applicant)
    reply_window(expired, due_in_days=-1)
    current = application_in(ApplicationState.REPLY)
    reply_window(current, due_in_days=3)
    now = timezone.now()
    assert services.close_expired_replies(now=now) == 1
    assert services.close_expired_replies(now=now) == 0
    expired.refresh_from_db()
    current.refresh_from_db()
    assert expired.state == ApplicationState.PANEL
    assert current.state == ApplicationState.REPLY
    event = AuditEvent.objects.get(verb="application.reply_closed")
    assert event.actor is None and event.from_state == "reply" and event.to_state == "panel"
    assert event.data["replied"] is False
    assert Notification.objects.filter(user=applicant, kind="reviews_reply_closed").exists()


def test_beat_tasks_are_scheduled_and_call_the_services():
    assignment_for(application_in(ApplicationState.PEER_REVIEW), pool_member(), due_in_days=1)
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "allocations.reviews.tasks.send_review_reminders" in scheduled
    assert "allocations.reviews.tasks.close_expired_replies" in scheduled
    assert tasks.send_review_reminders.name == "allocations.reviews.tasks.send_review_reminders"
    assert tasks.send_review_reminders.delay().get() == 1
    assert tasks.send_review_reminders.delay().get() == 0
    assert tasks.close_expired_replies.delay().get() == 0
