"""An import case's way through the desk: every transition and its guards by state and
role, gapless registry numbers, confirmations, serial numbers taken and freed, the
declaration, use reports, reminders, and the desk's queue."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent, Notification
from allocations.customs import services, tasks
from allocations.customs.models import (
    CaseState,
    Confirmation,
    ImportCase,
    SerialNumber,
    UseReport,
)
from allocations.customs.workflow_services import add_months
from tests.factories import UserFactory
from tests.factories_customs import PLANNED_IMPORT, TODAY, PreferenceRegimeFactory
from tests.test_customs_cases import (
    LINE,
    NOW,
    add_importer,
    importer_case,
    pasted,
)


@pytest.fixture
def documents_sent(monkeypatch):
    """Calls of the documents task (never run here: the documents have their own tests)."""
    calls = []
    monkeypatch.setattr(
        tasks.generate_case_documents, "apply_async", lambda *a, **kw: calls.append(kw)
    )
    return calls


def verbs(case):
    return list(
        AuditEvent.objects.filter(target_id=str(case.pk), verb__startswith="import_case.")
        .order_by("id")
        .values_list("verb", "from_state", "to_state")
    )


def state_of(case):
    return ImportCase.objects.values_list("state", flat=True).get(pk=case.pk)


def submitted(**kwargs):
    case, owner = importer_case(**kwargs)
    services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    return case, owner


def in_review(desk, **kwargs):
    case, owner = submitted(**kwargs)
    services.take_case(actor=desk, case_id=case.pk)
    return case, owner


def approved(desk, now=NOW, **kwargs):
    case, owner = in_review(desk, **kwargs)
    services.approve_case(actor=desk, case_id=case.pk, now=now)
    case.refresh_from_db()
    return case, owner


def monitored(desk, **kwargs):
    case, owner = approved(desk, **kwargs)
    services.record_declaration(
        actor=owner,
        case_id=case.pk,
        declaration_number="55301/040526/0012345",
        declaration_date=TODAY,
        release_date=TODAY,
        now=NOW,
    )
    case.refresh_from_db()
    return case, owner


# --- Submission ----------------------------------------------------------------------------


def test_submit_is_refused_while_a_check_reports_an_error(db):
    case, owner = importer_case(with_parties=False)
    with pytest.raises(ValidationError) as refused:
        services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    assert any("Add the supplier" in message for message in refused.value.messages)
    assert state_of(case) == CaseState.DRAFT
    assert not AuditEvent.objects.filter(verb="import_case.submitted").exists()


def test_submit_sends_documents_and_tells_the_desk_and_the_submitter(
    import_desk, admin_user, documents_sent, django_capture_on_commit_callbacks
):
    case, owner = importer_case()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.submitted_at == NOW
    assert verbs(case)[-1] == ("import_case.submitted", "draft", "submitted")
    assert documents_sent == [{"kwargs": {"case_id": case.pk}, "queue": "documents"}]
    notices = Notification.objects.filter(kind__startswith="customs_")
    assert set(notices.values_list("user", "kind")) == {
        (import_desk.pk, "customs_case_submitted"),
        (owner.pk, "customs_case_received"),
    }
    desk_notice = notices.get(user=import_desk)
    assert case.reference in desk_notice.subject
    assert desk_notice.url == reverse("customs:desk_case", args=[case.pk])


def test_only_importers_submit(import_desk):
    case, _owner = importer_case()
    member = add_importer(case, MembershipRole.MEMBER)
    billing = add_importer(case, MembershipRole.BILLING)
    for outsider in (billing, UserFactory(), import_desk):  # a draft is the importer's own
        with pytest.raises(Http404):
            services.submit_case(actor=outsider, case_id=case.pk, now=NOW)
    services.submit_case(actor=member, case_id=case.pk, now=NOW)
    with pytest.raises(ValidationError):  # twice
        services.submit_case(actor=member, case_id=case.pk, now=NOW)


# --- Review --------------------------------------------------------------------------------


def test_take_is_for_the_desk_and_only_from_submitted(import_desk):
    case, owner = submitted()
    with pytest.raises(PermissionDenied):
        services.take_case(actor=owner, case_id=case.pk)
    services.take_case(actor=import_desk, case_id=case.pk)
    assert state_of(case) == CaseState.REVIEW
    with pytest.raises(ValidationError):
        services.take_case(actor=import_desk, case_id=case.pk)
    draft, _ = importer_case()
    with pytest.raises(Http404):
        services.take_case(actor=import_desk, case_id=draft.pk)


def test_request_changes_then_the_importer_fixes_and_submits_again(
    import_desk, django_capture_on_commit_callbacks, documents_sent
):
    case, owner = in_review(import_desk)
    member = add_importer(case, MembershipRole.MEMBER)
    add_importer(case, MembershipRole.BILLING)
    with pytest.raises(ValidationError) as refused:
        services.request_changes(actor=import_desk, case_id=case.pk, comment=" ", now=NOW)
    assert "comment" in refused.value.message_dict
    with pytest.raises(ValidationError):  # not while in review: the importer cannot edit
        services.update_case(actor=owner, case_id=case.pk, values={"title": "x"})
    services.request_changes(
        actor=import_desk, case_id=case.pk, comment="Attach the packing list.", now=NOW
    )
    assert state_of(case) == CaseState.CHANGES_REQUESTED
    comment = case.comments.get()
    assert comment.is_change_request and comment.author == import_desk
    notified = Notification.objects.filter(kind="customs_case_changes_requested")
    assert set(notified.values_list("user", flat=True)) == {owner.pk, member.pk}
    assert "Attach the packing list." in notified.first().body

    with pytest.raises(PermissionDenied):  # the desk never edits the importer's case
        services.update_case(actor=import_desk, case_id=case.pk, values={"title": "x"})
    services.update_case(actor=member, case_id=case.pk, values={"title": "Fixed"})
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_case(actor=member, case_id=case.pk, now=NOW)
    assert state_of(case) == CaseState.SUBMITTED
    assert len(documents_sent) == 1
    event = AuditEvent.objects.filter(verb="import_case.submitted").latest("id")
    assert (event.from_state, event.to_state, event.data) == (
        "changes_requested",
        "submitted",
        {"resubmission": True},
    )


def test_decisions_need_review_and_the_desk(import_desk):
    case, owner = submitted()
    for decide in (
        lambda actor: services.approve_case(actor=actor, case_id=case.pk, now=NOW),
        lambda actor: services.reject_case(actor=actor, case_id=case.pk, reason="r", now=NOW),
        lambda actor: services.request_changes(actor=actor, case_id=case.pk, comment="c", now=NOW),
    ):
        with pytest.raises(PermissionDenied):
            decide(owner)  # an importer cannot decide
        with pytest.raises(ValidationError):
            decide(import_desk)  # submitted, not yet in review
    assert state_of(case) == CaseState.SUBMITTED


def test_desk_members_do_not_decide_their_own_organisations_cases(import_desk):
    case, _owner = submitted()
    add_importer(case, MembershipRole.MEMBER, user=import_desk)
    with pytest.raises(PermissionDenied):
        services.take_case(actor=import_desk, case_id=case.pk)


# --- Approval --------------------------------------------------------------------------------


def test_registry_numbers_are_gapless_per_year(import_desk):
    numbers = []
    for n in range(3):
        case, _ = in_review(import_desk)
        if n == 1:  # a refused approval takes no number
            SerialNumber.objects.filter(line__case=case).delete()
            with pytest.raises(ValidationError) as refused:
                services.approve_case(actor=import_desk, case_id=case.pk, now=NOW)
            assert any("serial numbers" in m for m in refused.value.messages)
            case, _ = in_review(import_desk)
        services.approve_case(actor=import_desk, case_id=case.pk, now=NOW)
        numbers.append(ImportCase.objects.get(pk=case.pk).registry_number)
    assert numbers == ["KZ-IMP-2026-00001", "KZ-IMP-2026-00002", "KZ-IMP-2026-00003"]
    next_year = NOW + timedelta(days=365)
    case, _ = approved(import_desk, now=next_year)
    assert case.registry_number == "KZ-IMP-2027-00001"


def test_approval_issues_a_confirmation_with_an_unguessable_code(
    import_desk, documents_sent, django_capture_on_commit_callbacks
):
    regime = PreferenceRegimeFactory(valid_to=date(2028, 1, 1), monitoring_years=3)
    case, owner = in_review(import_desk, regime=regime)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_case(actor=import_desk, case_id=case.pk, now=NOW, note="Complete.")
    case.refresh_from_db()
    confirmation = Confirmation.objects.get(case=case)
    assert re.fullmatch(r"[A-Z2-7]{16}", confirmation.verification_code)
    assert confirmation.registry_number == case.registry_number
    assert confirmation.valid_until == date(2027, 12, 31)  # the regime ends first
    assert confirmation.issued_at == NOW and case.decided_by == import_desk
    assert verbs(case)[-1] == ("import_case.approved", "review", "approved")
    assert documents_sent == [{"kwargs": {"case_id": case.pk}, "queue": "documents"}]
    notice = Notification.objects.get(kind="customs_case_approved", user=owner)
    assert case.registry_number in notice.subject

    open_regime = PreferenceRegimeFactory(valid_to=None, monitoring_years=5)
    other, _ = approved(import_desk, regime=open_regime)
    assert other.confirmation.valid_until == PLANNED_IMPORT.replace(year=PLANNED_IMPORT.year + 5)
    assert other.confirmation.verification_code != confirmation.verification_code


# --- Rejection, closing and serial numbers ---------------------------------------------------


def test_reject_needs_a_reason_and_frees_the_serials(import_desk):
    case, owner = in_review(import_desk, serial_prefix="RACK")
    with pytest.raises(ValidationError) as refused:
        services.reject_case(actor=import_desk, case_id=case.pk, reason="", now=NOW)
    assert "reason" in refused.value.message_dict
    services.reject_case(actor=import_desk, case_id=case.pk, reason="Not eligible.", now=NOW)
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED and case.decision_reason == "Not eligible."
    assert not SerialNumber.objects.filter(line__case=case, active=True).exists()
    event = AuditEvent.objects.get(verb="import_case.rejected")
    assert (event.from_state, event.to_state, event.data["serials_freed"]) == (
        "review",
        "rejected",
        1,
    )
    assert Notification.objects.filter(kind="customs_case_rejected", user=owner).exists()
    # The same unit may now stand in a new case.
    again, again_owner = importer_case(serial_prefix="OTHER")
    services.import_serials(
        actor=again_owner,
        case_id=again.pk,
        parsed=pasted("RACK-1-1"),
        line_id=again.lines.get().pk,
    )


def test_serial_clash_between_two_cases_until_the_first_is_closed(import_desk):
    first, _ = monitored(import_desk, serial_prefix="GPU")
    second, owner = importer_case(serial_prefix="NEW")
    line = services.add_line(actor=owner, case_id=second.pk, values={**LINE, "quantity": 1})
    with pytest.raises(ValidationError) as refused:
        services.import_serials(
            actor=owner, case_id=second.pk, parsed=pasted("gpu-1-1"), line_id=line.pk
        )
    assert first.reference in refused.value.messages[0]
    services.close_case(actor=import_desk, case_id=first.pk, reason="Period over.", now=NOW)
    assert not SerialNumber.objects.filter(line__case=first, active=True).exists()
    services.import_serials(
        actor=owner, case_id=second.pk, parsed=pasted("gpu-1-1"), line_id=line.pk
    )
    assert SerialNumber.objects.filter(serial="GPU-1-1", active=True).count() == 1


def test_nothing_changes_a_closed_case(import_desk):
    case, owner = monitored(import_desk)
    with pytest.raises(ValidationError) as refused:
        services.close_case(actor=import_desk, case_id=case.pk, reason=" ", now=NOW)
    assert "reason" in refused.value.message_dict
    services.close_case(actor=import_desk, case_id=case.pk, reason="Done.", now=NOW)
    assert state_of(case) == CaseState.CLOSED
    attempts = [
        lambda: services.update_case(actor=owner, case_id=case.pk, values={"title": "x"}),
        lambda: services.add_line(actor=owner, case_id=case.pk, values=LINE),
        lambda: services.add_comment(actor=owner, case_id=case.pk, body="Hello"),
        lambda: services.add_comment(actor=import_desk, case_id=case.pk, body="Hello"),
        lambda: services.submit_case(actor=owner, case_id=case.pk, now=NOW),
        lambda: services.take_case(actor=import_desk, case_id=case.pk),
        lambda: services.reject_case(actor=import_desk, case_id=case.pk, reason="r", now=NOW),
        lambda: services.close_case(actor=import_desk, case_id=case.pk, reason="r", now=NOW),
        lambda: services.record_release(actor=owner, case_id=case.pk, release_date=TODAY, now=NOW),
        lambda: services.submit_use_report(
            actor=owner, case_id=case.pk, text="t", changes=[], now=NOW
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError):
            attempt()
    assert state_of(case) == CaseState.CLOSED


def test_closing_is_for_approved_declared_or_monitored_cases(import_desk):
    case, _ = in_review(import_desk)
    with pytest.raises(ValidationError):
        services.close_case(actor=import_desk, case_id=case.pk, reason="r", now=NOW)
    services.approve_case(actor=import_desk, case_id=case.pk, now=NOW)
    services.close_case(actor=import_desk, case_id=case.pk, reason="Not imported.", now=NOW)
    assert verbs(case)[-1] == ("import_case.closed", "approved", "closed")


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


def test_a_full_path_is_audited_state_by_state(import_desk):
    case, owner = in_review(import_desk)
    services.request_changes(actor=import_desk, case_id=case.pk, comment="Fix.", now=NOW)
    services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    services.take_case(actor=import_desk, case_id=case.pk)
    services.approve_case(actor=import_desk, case_id=case.pk, now=NOW)
    services.record_declaration(
        actor=owner,
        case_id=case.pk,
        declaration_number="D",
        declaration_date=TODAY,
        release_date=TODAY,
        now=NOW,
    )
    services.close_case(actor=import_desk, case_id=case.pk, reason="Done.", now=NOW)
    transitions = [(f, t) for _verb, f, t in verbs(case) if f or t]
    assert transitions == [
        ("draft", "submitted"),
        ("submitted", "review"),
        ("review", "changes_requested"),
        ("changes_requested", "submitted"),
        ("submitted", "review"),
        ("review", "approved"),
        ("approved", "declared"),
        ("declared", "monitoring"),
        ("monitoring", "closed"),
    ]


# --- Pages ----------------------------------------------------------------------------------


def test_submit_page_lists_the_errors_and_refuses(client, db):
    case, owner = importer_case(with_documents=False)
    client.force_login(owner)
    url = reverse("customs:case_submit", args=[case.pk])
    page = client.get(url).content.decode()
    assert "cannot be submitted while a check reports an error" in page
    response = client.post(url)
    assert response.status_code == 200
    assert "The case was not submitted" in response.content.decode()
    assert "requires this document" in response.content.decode()
    assert state_of(case) == CaseState.DRAFT


def test_desk_pages_take_request_changes_approve(client, import_desk):
    case, owner = submitted()
    client.force_login(import_desk)
    desk_page = reverse("customs:desk_case", args=[case.pk])
    page = client.get(desk_page).content.decode()
    assert "Take into review" in page and "History" in page
    client.post(reverse("customs:desk_take", args=[case.pk]))
    assert state_of(case) == CaseState.REVIEW
    again = client.post(reverse("customs:desk_take", args=[case.pk]), follow=True)
    assert "Only a submitted case can be taken" in again.content.decode()

    url = reverse("customs:desk_request_changes", args=[case.pk])
    assert "This field is required" in client.post(url, {"comment": ""}).content.decode()
    assert client.post(url, {"comment": "Add the invoice."}).status_code == 302
    client.force_login(owner)
    page = client.get(reverse("customs:case_detail", args=[case.pk])).content.decode()
    assert "The import desk asks for changes" in page and "Add the invoice." in page
    client.post(reverse("customs:case_submit", args=[case.pk]))
    client.force_login(import_desk)
    client.post(reverse("customs:desk_take", args=[case.pk]))
    url = reverse("customs:desk_approve", args=[case.pk])
    assert "Approve and issue the confirmation" in client.get(url).content.decode()
    assert client.post(url, {"note": ""}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.registry_number
    page = client.get(desk_page).content.decode()
    assert case.registry_number in page and "Verification code" in page


def test_reject_and_close_pages_need_a_reason(client, import_desk):
    case, _ = in_review(import_desk)
    client.force_login(import_desk)
    url = reverse("customs:desk_reject", args=[case.pk])
    assert "This field is required" in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Out of scope."}).status_code == 302
    assert state_of(case) == CaseState.REJECTED
    page = client.post(reverse("customs:desk_close", args=[case.pk]), {"reason": "x"})
    assert "Only an approved, declared or monitored case can be closed" in page.content.decode()


def test_declaration_and_report_pages(client, import_desk):
    case, owner = approved(import_desk)
    client.force_login(owner)
    url = reverse("customs:case_declare", args=[case.pk])
    data = {"declaration_number": "D-7", "declaration_date": "2026-05-03", "release_date": ""}
    assert client.post(url, data).status_code == 302
    url = reverse("customs:case_release", args=[case.pk])
    assert (
        "cannot be in the future"
        in client.post(url, {"release_date": "2999-01-01"}).content.decode()
    )
    assert client.post(url, {"release_date": "2026-05-03"}).status_code == 302
    url = reverse("customs:report_create", args=[case.pk])
    page = client.get(f"{url}?rows=5").content.decode()
    assert page.count('name="changes-') >= 15 and "Use report for" in page
    serial = SerialNumber.objects.filter(line__case=case).first().serial
    data = {
        "text": "All racks in hall 2.",
        "changes-TOTAL_FORMS": "2",
        "changes-INITIAL_FORMS": "0",
        "changes-0-serial": serial,
        "changes-0-status": "moved",
        "changes-0-note": "",
        "changes-1-serial": "",
        "changes-1-status": "",
        "changes-1-note": "",
    }
    page = client.post(url, data).content.decode()
    assert "say where" in page
    data["changes-0-note"] = "Moved to hall 3, same building."
    assert client.post(url, data).status_code == 302
    assert SerialNumber.objects.get(serial=serial).status == "moved"


# --- The desk's queue ------------------------------------------------------------------------


def test_queue_filters_counts_and_search(client, import_desk):
    review, _ = in_review(import_desk, serial_prefix="FIND")
    other, _ = submitted()
    draft, _ = importer_case()
    client.force_login(import_desk)
    url = reverse("customs:desk_queue")
    page = client.get(url).content.decode()
    assert review.reference in page and other.reference in page
    assert draft.reference not in page  # never submitted
    page = client.get(url, {"state": "review"}).content.decode()
    assert review.reference in page and other.reference not in page
    page = client.get(url, {"q": "find-1-1"}).content.decode()
    assert review.reference in page and other.reference not in page
    partial = client.get(url, {"state": "submitted"}, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "<html" not in text and other.reference in text
    assert 'aria-current="page">Submitted' in text


def test_queue_queries_do_not_grow_with_the_cases(client, import_desk):
    client.force_login(import_desk)
    url = reverse("customs:desk_queue")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    submitted()
    few = queries()
    for _ in range(4):
        submitted(lines=2, serials_per_line=3)
    assert queries() == few


def test_case_page_queries_do_not_grow_with_lines(client, import_desk):
    small, _ = submitted(lines=1, serials_per_line=1)
    large, _ = submitted(lines=20, serials_per_line=5)
    client.force_login(import_desk)

    def queries(case):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("customs:desk_case", args=[case.pk]))
            assert response.status_code == 200
        return len(captured)

    assert queries(large) == queries(small)


def test_report_create_without_monitoring_says_so(client, db):
    case, owner = importer_case()
    client.force_login(owner)
    page = client.get(reverse("customs:report_create", args=[case.pk])).content.decode()
    assert "use reports are made while the equipment is monitored" in page


def test_next_year_now_is_local(import_desk):
    """31 December 20:00 UTC is already the new year in Almaty: the year of the number
    follows the local date."""
    late = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    case, _ = approved(import_desk, now=late)
    assert case.registry_number == "KZ-IMP-2027-00001"


def test_case_page_links_the_documents_and_the_confirmation(client, import_desk):
    from django.core.files.base import ContentFile

    from allocations.customs.models import CaseDocument

    case, owner = approved(import_desk)
    document = CaseDocument(case=case, kind="confirmation", language="kk+ru", sha256="0" * 64)
    document.generated_at = NOW
    document.file.save("confirmation.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    client.force_login(owner)
    page = client.get(reverse("customs:case_detail", args=[case.pk])).content.decode()
    assert reverse("customs:document_download", args=[document.pk]) in page
    code = case.confirmation.verification_code
    assert f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}" in page
    assert reverse("customs:verify_code", args=[code]) in page
    assert "Revoke the confirmation" not in page  # the desk's
    client.force_login(import_desk)
    page = client.get(reverse("customs:desk_case", args=[case.pk])).content.decode()
    assert reverse("customs:confirmation_revoke", args=[case.pk]) in page


# --- Deleting an abandoned draft ---------------------------------------------------------


def test_a_never_submitted_draft_is_deleted_and_frees_its_serials(client, import_desk):
    case, owner = importer_case()
    serials = list(SerialNumber.objects.filter(line__case=case).values_list("serial", flat=True))
    assert serials
    with pytest.raises(Http404):  # the desk never sees an unsubmitted draft
        services.delete_draft(actor=import_desk, case_id=case.pk)
    stranger = UserFactory()
    with pytest.raises(Http404):
        services.delete_draft(actor=stranger, case_id=case.pk)
    client.force_login(owner)
    response = client.post(reverse("customs:case_delete", args=[case.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customs:case_list")
    assert not ImportCase.objects.filter(pk=case.pk).exists()
    assert not SerialNumber.objects.filter(serial__in=serials).exists()
    assert AuditEvent.objects.filter(verb="import_case.deleted").count() == 1


def test_a_submitted_case_cannot_be_deleted(db, client, documents_sent):
    case, owner = submitted()
    with pytest.raises(ValidationError):
        services.delete_draft(actor=owner, case_id=case.pk)
    client.force_login(owner)
    page = client.post(reverse("customs:case_delete", args=[case.pk]), follow=True)
    assert "Only a draft that was never submitted can be deleted" in page.content.decode()
    assert ImportCase.objects.filter(pk=case.pk).exists()
