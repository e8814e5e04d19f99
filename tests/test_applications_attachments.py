"""PDF attachments: what is accepted, where it is stored and who may download it."""

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState, Attachment, TeamRole
from allocations.core.models import AuditEvent
from tests.factories import UserFactory
from tests.factories_applications import (
    PDF_BYTES,
    add_to_team,
    draft_for,
    make_attachment,
    pdf_upload,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _upload(client, application, upload, description="Work plan"):
    url = reverse("applications:attachment_upload", args=[application.pk])
    return client.post(url, {"file": upload, "description": description})


def _stored_files() -> list[str]:
    storage = storages["private"]
    found = []

    def walk(path):
        if not storage.exists(path or "."):
            return
        directories, files = storage.listdir(path or ".")
        found.extend(f"{path}/{name}" if path else name for name in files)
        for directory in directories:
            walk(f"{path}/{directory}" if path else directory)

    walk("")
    return found


def test_upload_pdf_is_stored_privately_and_downloadable(client, applicant):
    application = draft_for(applicant)
    client.force_login(applicant)
    response = _upload(client, application, pdf_upload("Work Plan.pdf"))
    assert response["Location"] == reverse("applications:application_edit", args=[application.pk])
    attachment = Attachment.objects.get(application=application)
    assert attachment.original_name == "Work Plan.pdf"
    assert attachment.size_bytes == len(PDF_BYTES)
    assert storages["private"].exists(attachment.file.name)
    assert "Work Plan" not in attachment.file.name
    event = AuditEvent.objects.get(verb="application.attachment_added")
    assert event.actor == applicant and event.data["name"] == "Work Plan.pdf"

    page = client.get(reverse("applications:application_edit", args=[application.pk]))
    download = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
    assert download in page.content.decode()
    assert attachment.file.name not in page.content.decode()

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        "Work%20Plan.pdf" in response["Content-Disposition"]
        or "Work Plan.pdf" in (response["Content-Disposition"])
    )
    assert b"".join(response.streaming_content) == PDF_BYTES


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"just some text, not a PDF", "not a PDF document"),
        ("plan.txt", PDF_BYTES, "must end in .pdf"),
        ("plan.pdf.exe", PDF_BYTES, "must end in .pdf"),
        ("empty.pdf", b"", "empty"),
    ],
    ids=["text named pdf", "pdf named txt", "double extension", "empty file"],
)
def test_bad_files_are_refused_and_nothing_stored(client, applicant, name, content, message):
    application = draft_for(applicant)
    client.force_login(applicant)
    response = _upload(client, application, pdf_upload(name, content), description="kept desc")
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'value="kept desc"' in body
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_oversize_file_is_refused(client, applicant, settings):
    settings.PORTAL_ATTACHMENT_MAX_BYTES = 20
    application = draft_for(applicant)
    client.force_login(applicant)
    response = _upload(client, application, pdf_upload("big.pdf", PDF_BYTES))
    assert "attachments may be at most 20" in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_upload_and_delete_refused_once_submitted(client, applicant):
    application = draft_for(applicant, submitted=True)
    existing = make_attachment(application)
    client.force_login(applicant)
    response = _upload(client, application, pdf_upload())
    assert response.status_code == 302
    assert Attachment.objects.count() == 1
    url = reverse("applications:attachment_delete", args=[application.pk, existing.pk])
    response = client.post(url, follow=True)
    assert "can no longer be changed" in response.content.decode()
    assert Attachment.objects.filter(pk=existing.pk).exists()
    assert storages["private"].exists(existing.file.name)


def test_delete_while_editable_removes_row_and_file(
    client, applicant, django_capture_on_commit_callbacks
):
    application = draft_for(applicant)
    attachment = make_attachment(application)
    client.force_login(applicant)
    url = reverse("applications:attachment_delete", args=[application.pk, attachment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert not Attachment.objects.exists()
    assert not storages["private"].exists(attachment.file.name)
    assert AuditEvent.objects.filter(verb="application.attachment_removed").exists()


def test_plain_member_downloads_but_cannot_upload(client, applicant):
    application = draft_for(UserFactory())
    attachment = make_attachment(application)
    add_to_team(application.project, applicant, TeamRole.MEMBER)
    client.force_login(applicant)
    url = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
    assert client.get(url).status_code == 200
    assert _upload(client, application, pdf_upload()).status_code == 403
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "draft_status", "submitted_status"),
    [
        ("other_applicant", 404, 404),
        ("finance", 404, 404),
        ("reviewer", 404, 404),
        ("assessor", 404, 200),
        ("call_manager", 404, 200),
    ],
)
def test_download_access(client_as, applicant, who, draft_status, submitted_status):
    draft = draft_for(applicant)
    submitted = draft_for(applicant, state=ApplicationState.SCREENING, submitted_at=timezone.now())
    client, _user = client_as(who)
    for application, expected in ((draft, draft_status), (submitted, submitted_status)):
        attachment = make_attachment(application)
        url = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
        assert client.get(url).status_code == expected


def test_attachment_of_another_application_is_404(client, applicant):
    mine = draft_for(applicant)
    other = make_attachment(draft_for(applicant))
    client.force_login(applicant)
    url = reverse("applications:attachment_download", args=[mine.pk, other.pk])
    assert client.get(url).status_code == 404
