"""The workflow of import cases through the pages: submitting (refused while a check
reports an error), the desk's take, request-changes, approve, reject and close pages, the
declaration and use-report pages, the desk's queue (filters, search, constant queries),
the links to documents and the confirmation, and deleting an abandoned draft."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocations.core.models import AuditEvent
from allocations.customs import services
from allocations.customs.models import CaseState, ImportCase, SerialNumber
from tests.factories import UserFactory
from tests.factories_customs_cases import (
    NOW,
    approved,
    case_documents_sent,  # noqa: F401  (fixture `documents_sent`)
    importer_case,
    in_review,
    state_of,
    submitted,
)

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
