"""An import case's way through the desk, by the services: every transition and its guards
by state and role (submission, review, approval, rejection, closing), gapless registry
numbers, confirmations, serial numbers taken and freed, and the audit of a full path.

Declaration, release, use reports and reminders: test_customs_monitoring; the pages and
the desk's queue: test_customs_workflow_pages."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent, Notification
from allocations.customs import services
from allocations.customs.models import CaseState, Confirmation, ImportCase, SerialNumber
from tests.factories import UserFactory
from tests.factories_customs import PLANNED_IMPORT, TODAY, PreferenceRegimeFactory
from tests.factories_customs_cases import (
    LINE,
    NOW,
    add_importer,
    approved,
    case_documents_sent,  # noqa: F401  (fixture `documents_sent`)
    importer_case,
    in_review,
    monitored,
    pasted,
    state_of,
    submitted,
    verbs,
)

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


def test_next_year_now_is_local(import_desk):
    """31 December 20:00 UTC is already the new year in Almaty: the year of the number
    follows the local date."""
    late = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    case, _ = approved(import_desk, now=late)
    assert case.registry_number == "KZ-IMP-2027-00001"


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


# --- A full path --------------------------------------------------------------------------


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
