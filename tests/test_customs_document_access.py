"""Who may use the document routes of the customs area, per role: downloads of stored
documents and on-the-fly annexes (the case's importers and, once the case is submitted, the
import desk; 404 for everyone else), the desk's revocation of a confirmation, and the
public verification pages (everyone, signed in or not)."""

import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent
from allocations.customs import documents
from allocations.customs.models import CaseDocument, Confirmation
from tests.conftest import ROLE_FIXTURES
from tests.factories_customs import make_case
from tests.test_customs_documents import CODE, add_importer, approve

# The roles of tests/conftest.py ("applicant" belongs to no organisation), the case's own
# importers, and a billing contact of its organisation (who does not act in import matters).
ROLES = [*ROLE_FIXTURES, "owner", "member", "billing_contact"]
SEE_DOCUMENTS = {"owner", "member", "import_desk", "admin_user"}
DESK = {"import_desk", "admin_user"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _store_documents(case):
    """Stored documents of every kind (small stand-ins: rendering them is tested elsewhere)."""
    made = [
        ("application_letter", "kk", b"%PDF-1.7\n% letter kk\n" * 8),
        ("application_letter", "ru", b"%PDF-1.7\n% letter ru\n" * 8),
        ("annex_pdf", "kk+ru", b"%PDF-1.7\n% annex\n" * 8),
        ("annex_xlsx", "kk+ru", b"PK\x03\x04 workbook " * 8),
        ("confirmation", "kk+ru", b"%PDF-1.7\n% confirmation\n" * 8),
    ]
    for kind, language, content in made:
        document = CaseDocument(
            case=case,
            kind=kind,
            language=language,
            sha256=hashlib.sha256(content).hexdigest(),
            generated_at=timezone.now(),
        )
        document.file.save(f"{case.reference}-{kind}.bin", ContentFile(content), save=False)
        document.save()


@pytest.fixture
def world(db):
    """An approved case with its documents, and a draft case of the same organisation."""
    case = make_case(lines=2, serials_per_line=2)
    confirmation = approve(case)
    _store_documents(case)
    draft = make_case(lines=1, organisation=case.organisation)
    people = {
        "owner": add_importer(case, MembershipRole.OWNER),
        "member": add_importer(case, MembershipRole.MEMBER),
        "billing_contact": add_importer(case, MembershipRole.BILLING),
    }
    return {"case": case, "draft": draft, "confirmation": confirmation, "people": people}


def login(client, request, world, role):
    if role == "anonymous":
        return None
    user = world["people"].get(role) or request.getfixturevalue(role)
    client.force_login(user)
    return user


def _document(world, kind):
    return CaseDocument.objects.get(case=world["case"], kind=kind)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("kind", "content_type", "suffix"),
    [
        ("application_letter", "application/pdf", None),
        ("annex_pdf", "application/pdf", "-annex.pdf"),
        ("annex_xlsx", documents.XLSX, "-annex.xlsx"),
        ("confirmation", "application/pdf", "-confirmation.pdf"),
    ],
)
def test_document_download(client, request, world, role, kind, content_type, suffix):
    document = CaseDocument.objects.filter(case=world["case"], kind=kind).order_by("id").first()
    login(client, request, world, role)
    response = client.get(reverse("customs:document_download", args=[document.pk]))
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    elif role in SEE_DOCUMENTS:
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert world["case"].reference in disposition
        if suffix:
            assert f'{world["case"].reference}{suffix}"' in disposition
        body = b"".join(response.streaming_content)
        assert len(body) > 100
    else:
        assert response.status_code == 404


def test_generated_documents_download_as_generated(client, world):
    """The real thing once: what generate_case_documents stored is what is served."""
    case = make_case(lines=1, organisation=world["case"].organisation)
    approve(case, code="ABCDEFGHIJKLMNOP")
    documents.generate_case_documents(case_id=case.pk)
    client.force_login(world["people"]["owner"])
    for document in CaseDocument.objects.filter(case=case):
        response = client.get(reverse("customs:document_download", args=[document.pk]))
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == document.sha256


def test_download_of_a_missing_document_is_404(client, import_desk, world):
    client.force_login(import_desk)
    assert client.get(reverse("customs:document_download", args=[999_999])).status_code == 404
    document = _document(world, "annex_pdf")
    document.file.storage.delete(document.file.name)
    assert client.get(reverse("customs:document_download", args=[document.pk])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ["annex_pdf", "annex_xlsx"])
def test_annex_of_a_submitted_case(client, request, world, role, route):
    login(client, request, world, role)
    response = client.get(reverse(f"customs:{route}", args=[world["case"].pk]))
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    elif role in SEE_DOCUMENTS:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        if route == "annex_pdf":
            assert response.content.startswith(b"%PDF-")
        else:
            workbook = load_workbook(io.BytesIO(response.content))
            assert workbook.sheetnames == ["Annex", "Serials", "Case"]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_annex_of_a_draft_is_its_importers_alone(client, request, world, role):
    """The desk sees a case once it is submitted (like the case pages)."""
    login(client, request, world, role)
    response = client.get(reverse("customs:annex_pdf", args=[world["draft"].pk]))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("owner", "member"):
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    else:
        assert response.status_code == 404


def test_annex_of_an_unknown_case_is_404(client, import_desk, db):
    client.force_login(import_desk)
    assert client.get(reverse("customs:annex_xlsx", args=[999_999])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_revoke_page_per_role(client, request, world, role):
    login(client, request, world, role)
    response = client.get(reverse("customs:confirmation_revoke", args=[world["case"].pk]))
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    elif role in DESK:
        assert response.status_code == 200
        assert world["confirmation"].registry_number in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_revoke_per_role(client, request, world, role):
    url = reverse("customs:confirmation_revoke", args=[world["case"].pk])
    login(client, request, world, role)
    response = client.post(url, {"reason": "The equipment was resold."})
    confirmation = Confirmation.objects.get(pk=world["confirmation"].pk)
    if role in DESK:
        assert response.status_code == 302
        assert response["Location"] == reverse("customs:desk_case", args=[world["case"].pk])
        assert confirmation.revoked_at is not None
        assert confirmation.revoke_reason == "The equipment was resold."
    elif role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
        assert confirmation.revoked_at is None
    else:
        assert response.status_code == 403
        assert confirmation.revoked_at is None


def test_revoke_needs_a_reason_and_happens_once(client, import_desk, world):
    client.force_login(import_desk)
    url = reverse("customs:confirmation_revoke", args=[world["case"].pk])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Confirmation.objects.get(pk=world["confirmation"].pk).revoked_at is None
    assert client.post(url, {"reason": "Sold on."}).status_code == 302
    event = AuditEvent.objects.get(verb="import_case.confirmation_revoked")
    assert event.actor == import_desk and event.data["reason"] == "Sold on."
    response = client.post(url, {"reason": "Again."})
    assert response.status_code == 200
    assert "already been revoked" in response.content.decode()
    assert Confirmation.objects.get(pk=world["confirmation"].pk).revoke_reason == "Sold on."
    # The public page now says so.
    client.logout()
    text = client.get(reverse("customs:verify_code", args=[CODE])).content.decode()
    assert "Revoked" in text and "Sold on." not in text


def test_revoke_without_confirmation_is_404(client, import_desk, world):
    client.force_login(import_desk)
    url = reverse("customs:confirmation_revoke", args=[world["draft"].pk])
    assert client.get(url).status_code == 404


def test_desk_member_of_the_importer_may_not_revoke(client, import_desk, world):
    from tests.factories import MembershipFactory

    MembershipFactory(
        organisation=world["case"].organisation, user=import_desk, role=MembershipRole.MEMBER
    )
    client.force_login(import_desk)
    url = reverse("customs:confirmation_revoke", args=[world["case"].pk])
    assert client.post(url, {"reason": "Mine."}).status_code == 403
    assert Confirmation.objects.get(pk=world["confirmation"].pk).revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_verification_pages_are_open_to_everyone(client, request, world, role):
    login(client, request, world, role)
    assert client.get(reverse("customs:verify_form")).status_code == 200
    response = client.get(reverse("customs:verify_code", args=[CODE]))
    assert response.status_code == 200
    assert world["confirmation"].registry_number in response.content.decode()
