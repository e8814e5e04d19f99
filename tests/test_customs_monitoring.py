"""An approved import case under monitoring: the declaration and the release, use reports
(serial numbers moved, sold or scrapped, the next due date), and reminders of due and
overdue reports."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent, Notification
from allocations.customs import services, tasks
from allocations.customs.models import CaseState, SerialNumber, UseReport
from allocations.customs.workflow_services import add_months
from tests.factories import UserFactory
from tests.factories_customs import TODAY
from tests.factories_customs_cases import (
    NOW,
    add_importer,
    approved,
    monitored,
    state_of,
    verbs,
)

# --- Declaration, release, use reports -------------------------------------------------------


def test_declaration_then_release(import_desk):
    case, owner = approved(import_desk)
    bad = [
        ({"declaration_number": " ", "declaration_date": TODAY}, "declaration_number"),
        (
            {"declaration_number": "D1", "declaration_date": TODAY + timedelta(days=1)},
            "declaration_date",
        ),
        (
            {
                "declaration_number": "D1",
                "declaration_date": TODAY,
                "release_date": TODAY - timedelta(days=1),
            },
            "release_date",
        ),
    ]
    for values, field in bad:
        values.setdefault("release_date", None)
        with pytest.raises(ValidationError) as refused:
            services.record_declaration(actor=owner, case_id=case.pk, now=NOW, **values)
        assert field in refused.value.message_dict
    services.record_declaration(
        actor=owner,
        case_id=case.pk,
        declaration_number="D1",
        declaration_date=TODAY - timedelta(days=3),
        release_date=None,
        now=NOW,
    )
    case.refresh_from_db()
    assert case.state == CaseState.DECLARED and case.next_report_due is None
    with pytest.raises(ValidationError):  # declared once
        services.record_declaration(
            actor=owner,
            case_id=case.pk,
            declaration_number="D2",
            declaration_date=TODAY,
            release_date=None,
            now=NOW,
        )
    services.record_release(actor=import_desk, case_id=case.pk, release_date=TODAY, now=NOW)
    case.refresh_from_db()
    assert case.state == CaseState.MONITORING and case.release_date == TODAY
    assert case.next_report_due == date(2027, 5, 4)  # 12 months, the regime's interval
    assert verbs(case)[-2:] == [
        ("import_case.declared", "approved", "declared"),
        ("import_case.monitoring_started", "declared", "monitoring"),
    ]


def test_declaration_with_release_starts_monitoring_at_once(import_desk):
    case, _owner = approved(import_desk)
    services.record_declaration(
        actor=import_desk,
        case_id=case.pk,
        declaration_number="D1",
        declaration_date=TODAY,
        release_date=TODAY,
        now=NOW,
    )
    assert state_of(case) == CaseState.MONITORING
    stranger = UserFactory()
    with pytest.raises(Http404):
        services.record_release(actor=stranger, case_id=case.pk, release_date=TODAY, now=NOW)


def test_use_reports_move_the_due_date_and_mark_serials(import_desk):
    case, owner = monitored(import_desk, serials_per_line=2, serial_prefix="U")
    due = case.next_report_due
    change = services.SerialChange
    with pytest.raises(ValidationError) as refused:
        services.submit_use_report(
            actor=owner,
            case_id=case.pk,
            text="In use at data hall 2.",
            changes=[change("U-1-1", "sold", ""), change("NOPE", "moved", "x"), change("", "", "")],
            now=NOW,
        )
    assert refused.value.messages == [
        "Row 1: say where U-1-1 went, to whom it was sold or why it was scrapped.",
        "Row 2: NOPE is not a serial number of this case.",
    ]
    with pytest.raises(PermissionDenied):
        services.submit_use_report(
            actor=import_desk, case_id=case.pk, text="t", changes=[], now=NOW
        )
    report = services.submit_use_report(
        actor=owner,
        case_id=case.pk,
        text="In use at data hall 2.",
        changes=[change("u-1-2", "scrapped", "Burnt PSU, certificate 17.")],
        now=NOW,
    )
    assert report.period_end == due
    case.refresh_from_db()
    assert case.next_report_due == add_months(due, 12)
    scrapped = SerialNumber.objects.get(serial="U-1-2")
    assert scrapped.status == "scrapped" and scrapped.status_changed_at == NOW
    assert scrapped.active  # still in an active case until it is closed
    event = AuditEvent.objects.get(verb="import_case.use_report")
    assert event.data["serials"] == {"U-1-2": "scrapped"}
    assert UseReport.objects.filter(case=case).count() == 1


def test_reports_only_while_monitored(import_desk):
    case, owner = approved(import_desk)
    with pytest.raises(ValidationError):
        services.submit_use_report(actor=owner, case_id=case.pk, text="t", changes=[], now=NOW)


# --- Reminders ----------------------------------------------------------------------------


def test_reminders_once_before_and_once_after_each_due_date(import_desk):
    case, owner = monitored(import_desk)
    member = add_importer(case, MembershipRole.MEMBER)
    due = case.next_report_due

    def remind(today):
        return services.send_report_reminders(today=today)

    assert remind(due - timedelta(days=15)) == 0  # too early
    assert remind(due - timedelta(days=14)) == 1
    assert remind(due - timedelta(days=13)) == 0
    assert remind(due) == 0  # due today: reminded already
    assert remind(due + timedelta(days=1)) == 1  # overdue
    assert remind(due + timedelta(days=30)) == 0
    notices = Notification.objects.filter(kind__startswith="customs_report_")
    assert sorted(notices.values_list("kind", flat=True)) == [
        "customs_report_due",
        "customs_report_due",
        "customs_report_overdue",
        "customs_report_overdue",
    ]
    assert set(notices.values_list("user", flat=True)) == {owner.pk, member.pk}
    events = AuditEvent.objects.filter(verb="import_case.report_reminder").order_by("id")
    assert [e.data for e in events] == [
        {"due": due.isoformat(), "kind": "due_soon"},
        {"due": due.isoformat(), "kind": "overdue"},
    ]
    # After the report, the next due date gets its own reminders.
    services.submit_use_report(actor=owner, case_id=case.pk, text="Fine.", changes=[], now=NOW)
    case.refresh_from_db()
    assert remind(case.next_report_due - timedelta(days=3)) == 1
    # Closed cases are not reminded.
    services.close_case(actor=import_desk, case_id=case.pk, reason="Done.", now=NOW)
    assert remind(case.next_report_due + timedelta(days=3)) == 0


def test_reminder_task_runs_the_service(import_desk, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "allocations.customs.monitoring_services.send_report_reminders",
        lambda *, today: seen.append(today) or 0,
    )
    assert tasks.send_report_reminders() == 0
    assert seen == [timezone.localdate()]
