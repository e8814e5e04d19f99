"""Decision letters: the PDF's text (pdftotext) in English and Kazakh, the e-mail with the
PDF attached, team notifications, regeneration, and the access-checked download."""

import hashlib
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import Organisation
from allocations.applications.models import ApplicationState
from allocations.awards import services
from allocations.awards.models import Decision, DecisionOutcome
from allocations.core.models import AuditEvent, Notification
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    TechnicalAssessmentFactory,
    add_reviews,
    application_at,
    call_with_capacity,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

REVIEWER_NAME = "Zhanna Secretreviewer"


def pdf_text(decision: Decision) -> str:
    with decision.letter.open("rb") as handle:
        data = handle.read()
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    # Amounts are grouped with no-break spaces; compare with plain ones.
    return " ".join(result.stdout.decode().replace("\u00a0", " ").split())


@pytest.fixture
def approved(db, call_manager, django_capture_on_commit_callbacks):
    """An approved application (12 000 GPU-hours) with two reviews and a team member."""

    def make(*, language="en", comment="The scaling plan is convincing.", org_name=None):
        call, _rows = call_with_capacity(capacities=(50_000,), title="AI Startups 2027")
        pi = UserFactory(language=language, full_name="Aigerim Pi")
        application = application_at(call, pi=pi, hours=15_000, resident=True)
        if org_name:
            Organisation.objects.filter(pk=application.project.organisation_id).update(
                legal_name=org_name
            )
        add_to_team(application.project, UserFactory(language="ru"))
        reviewer = UserFactory(full_name=REVIEWER_NAME)
        add_reviews(
            application,
            [4, 3],
            reviewers=[reviewer, UserFactory()],
            comment_applicant=comment,
            comment_panel="Panel-only remark: fund at most half.",
        )
        TechnicalAssessmentFactory(
            application=application,
            comments="Fits on two H200 nodes.",
            recommended_gpu_hours=12_000,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(
                actor=call_manager,
                application_id=application.pk,
                outcome=DecisionOutcome.APPROVED,
                reason="Strong team and a credible plan.",
                amounts={application.requests.get().resource_id: 12_000},
                start_date=date(2027, 3, 1),
                end_date=date(2027, 9, 1),
                now=timezone.now(),
            )
        return Decision.objects.select_related("application__project__organisation").get(
            application=application
        )

    return make


def test_english_letter_content(approved, mailoutbox):
    decision = approved()
    application = decision.application
    assert decision.letter_language == "en"
    assert decision.letter_generated_at >= decision.decided_at
    text = pdf_text(decision)
    assert application.reference in text
    assert application.project.title in text
    assert application.project.organisation.legal_name in text
    assert application.project.organisation.bin in text
    assert "approved" in text
    assert "12 000" in text
    assert "01.03.2027" in text and "01.09.2027" in text
    assert "Strong team and a credible plan." in text
    assert "acceptable use" in text and "lapse" in text
    assert "Reviewer 1" in text and "Reviewer 2" in text
    assert "The scaling plan is convincing." in text
    assert "Fits on two H200 nodes." in text
    assert REVIEWER_NAME not in text
    assert "Panel-only remark" not in text
    allocation = application.allocations.get()
    assert allocation.slurm_account in text


def test_kazakh_letter_renders_kazakh_text(approved):
    comment = "Жобаның ғылыми деңгейі өте жоғары, әдістемесі нақты."
    decision = approved(language="kk", comment=comment, org_name="Қазақ ұлттық университеті")
    assert decision.letter_language == "kk"
    text = pdf_text(decision)
    assert decision.application.reference in text
    assert "12 000" in text
    assert "01.03.2027" in text and "01.09.2027" in text
    assert comment in text
    assert "Қазақ ұлттық университеті" in text
    assert REVIEWER_NAME not in text
    assert "Panel-only remark" not in text


def test_letter_is_stored_with_its_hash_and_audited(approved):
    decision = approved()
    with decision.letter.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == decision.letter_sha256
    assert decision.letter.name.startswith("letters/")
    event = AuditEvent.objects.get(verb="decision.letter_issued")
    assert event.data["sha256"] == decision.letter_sha256


def test_pi_gets_the_pdf_attached_and_the_team_is_notified(approved, mailoutbox):
    decision = approved()
    pi = decision.application.project.pi
    to_pi = [m for m in mailoutbox if m.to == [pi.email] and m.attachments]
    assert len(to_pi) == 1
    filename, content, mimetype = to_pi[0].attachments[0]
    assert filename == f"{decision.application.reference}-decision.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert decision.application.reference in to_pi[0].subject
    team = decision.application.project.members.values_list("user_id", flat=True)
    notified = set(
        Notification.objects.filter(kind="awards_decision").values_list("user_id", flat=True)
    )
    assert notified == set(team)
    assert Notification.objects.get(kind="awards_decision", user=pi).emailed_at is not None
    # The PI receives one message about the decision, the one with the PDF.
    assert len([m for m in mailoutbox if m.to == [pi.email] and "approved" in m.subject]) == 1


def test_generating_again_does_nothing_while_current(approved):
    decision = approved()
    name = decision.letter.name
    services.issue_decision_letter(decision_id=decision.pk, now=timezone.now())
    decision.refresh_from_db()
    assert decision.letter.name == name
    assert AuditEvent.objects.filter(verb="decision.letter_issued").count() == 1


def test_waitlisted_then_approved_gets_a_new_letter(
    db, call_manager, django_capture_on_commit_callbacks, monkeypatch
):
    call, _rows = call_with_capacity(capacities=(5000,))
    application = application_at(call, hours=1000)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(
            actor=call_manager,
            application_id=application.pk,
            outcome=DecisionOutcome.WAITLISTED,
            reason="Below the line for now.",
            now=timezone.now(),
        )
    decision = Decision.objects.get()
    assert "waitlist" in pdf_text(decision)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(
            actor=call_manager,
            application_id=application.pk,
            outcome=DecisionOutcome.APPROVED,
            reason="Capacity was added.",
            amounts={application.requests.get().resource_id: 1000},
            start_date=date(2027, 1, 1),
            end_date=date(2027, 7, 1),
            now=timezone.now(),
        )
    decision.refresh_from_db()
    text = pdf_text(decision)
    assert "approved" in text and "Capacity was added." in text
    assert AuditEvent.objects.filter(verb="decision.letter_issued").count() == 2


def test_ineligible_screening_sends_a_rejection_letter(
    db, call_manager, django_capture_on_commit_callbacks
):
    call, _rows = call_with_capacity()
    application = application_at(call, state=ApplicationState.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.screen_application(
            actor=call_manager,
            application_id=application.pk,
            eligible=False,
            reason="The organisation is not a startup.",
            now=timezone.now(),
        )
    decision = Decision.objects.get(application=application)
    text = pdf_text(decision)
    assert "not been approved" in text
    assert "The organisation is not a startup." in text


# --- Download ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("pi", 200),
        ("member", 200),
        ("stranger", 404),
        ("assessor", 200),
        ("call_manager", 200),
        ("admin_user", 200),
        ("reviewer", 404),
        ("finance", 404),
    ],
)
def test_letter_download_access(client, request, approved, who, status):
    decision = approved()
    project = decision.application.project
    if who == "pi":
        user = project.pi
    elif who == "member":
        user = project.members.exclude(user=project.pi).get().user
    elif who == "stranger":
        user = UserFactory()
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("awards:letter_download", args=[decision.application_id]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_letter_download_anonymous_goes_to_login(client, approved):
    decision = approved()
    response = client.get(reverse("awards:letter_download", args=[decision.application_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_no_letter_yet_is_404(client, call_manager):
    call, _rows = call_with_capacity()
    application = application_at(call)
    client.force_login(call_manager)
    response = client.get(reverse("awards:letter_download", args=[application.pk]))
    assert response.status_code == 404
