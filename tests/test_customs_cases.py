"""Import cases on the importer's side: opening a case, its contract and dates, parties,
attached files, the case page and comments. Equipment lines and serial numbers:
test_customs_lines.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import MembershipRole
from allocations.customs import services
from allocations.customs.models import (
    CaseAttachment,
    CaseComment,
    CaseParty,
    CaseState,
    ImportCase,
)
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories_customs import PDF_BYTES, TODAY, PreferenceRegimeFactory
from tests.factories_customs_cases import (
    LINE,
    NOW,
    SUPPLIER,
    case_draft,  # noqa: F401  (fixture `draft`)
    case_line,  # noqa: F401  (fixture `line`)
    case_organisation,  # noqa: F401  (fixture `organisation`)
    case_owner,  # noqa: F401  (fixture `owner`)
    case_regime,  # noqa: F401  (fixture `regime`)
    complete_case,
    events,
    importer_case,
    pdf,
)

# --- Opening a case ----------------------------------------------------------------------


def test_create_case_is_a_draft_with_the_organisation_as_importer(owner, organisation, draft):
    assert draft.state == CaseState.DRAFT and draft.created_by == owner
    assert draft.reference == f"IMP-{NOW.year}-00001"
    importer = CaseParty.objects.get(case=draft)
    assert importer.role == "importer" and importer.name == organisation.legal_name
    assert importer.bin == organisation.bin and importer.country == "KZ"
    event = events("import_case.created").get()
    assert event.actor == owner and event.to_state == "draft"


def test_references_skip_numbers_taken_elsewhere(owner, organisation, regime, draft):
    complete_case(reference=f"IMP-{NOW.year}-00002")
    case = services.create_case(
        actor=owner, organisation_id=organisation.pk, regime_id=regime.pk, title="x", now=NOW
    )
    assert case.reference == f"IMP-{NOW.year}-00003"


def test_members_may_open_cases_billing_contacts_and_outsiders_may_not(organisation, regime):
    member, billing, outsider = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(organisation=organisation, user=member, role=MembershipRole.MEMBER)
    MembershipFactory(organisation=organisation, user=billing, role=MembershipRole.BILLING)

    def create(user):
        return services.create_case(
            actor=user, organisation_id=organisation.pk, regime_id=regime.pk, title="T", now=NOW
        )

    assert create(member).organisation == organisation
    for user in (billing, outsider):
        with pytest.raises(ValidationError) as refused:
            create(user)
        assert "organisation" in refused.value.message_dict


def test_create_refuses_closed_regimes_and_empty_titles(owner, organisation):
    closed = PreferenceRegimeFactory(is_active=False)
    with pytest.raises(ValidationError) as refused:
        services.create_case(
            actor=owner, organisation_id=organisation.pk, regime_id=closed.pk, title=" ", now=NOW
        )
    assert "regime" in refused.value.message_dict
    open_regime = PreferenceRegimeFactory()
    with pytest.raises(ValidationError) as refused:
        services.create_case(
            actor=owner,
            organisation_id=organisation.pk,
            regime_id=open_regime.pk,
            title="  ",
            now=NOW,
        )
    assert "title" in refused.value.message_dict
    assert not ImportCase.objects.exists()


def test_applicant_without_organisation_is_told_to_register_one(client, applicant):
    client.force_login(applicant)
    page = client.get(reverse("customs:case_create")).content.decode()
    assert "Register your organisation" in page
    assert reverse("accounts:organisation_create") in page
    listing = client.get(reverse("customs:case_list")).content.decode()
    assert "Register your organisation" in listing


def test_billing_contact_is_told_to_ask_for_another_role(client, db):
    billing = UserFactory()
    MembershipFactory(organisation=OrganisationFactory(), user=billing, role="billing")
    client.force_login(billing)
    page = client.get(reverse("customs:case_create")).content.decode()
    assert "billing contacts may not" in page


def test_create_through_the_page(client, owner, organisation, regime):
    client.force_login(owner)
    url = reverse("customs:case_create")
    page = client.get(url).content.decode()
    assert regime.name_en in page
    response = client.post(url, {"organisation": organisation.pk, "regime": regime.pk})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(
        url, {"organisation": organisation.pk, "regime": regime.pk, "title": "Rack 2"}
    )
    case = ImportCase.objects.get()
    assert response["Location"] == reverse("customs:case_detail", args=[case.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Rack 2" in page and "Add at least one equipment line." in page


# --- Contract and dates ------------------------------------------------------------------


def test_update_case_saves_everything_or_nothing(owner, draft):
    values = {
        "title": "Renamed",
        "contract_number": "SC-1",
        "currency": "usd",
        "incoterms": "DAP",
        "planned_import_date": TODAY,
    }
    services.update_case(actor=owner, case_id=draft.pk, values=values)
    draft.refresh_from_db()
    assert draft.title == "Renamed" and draft.currency == "USD" and draft.incoterms == "DAP"
    assert set(events("import_case.updated").get().data["changed"]) == {
        "title",
        "contract_number",
        "incoterms",
        "planned_import_date",
    }
    with pytest.raises(ValidationError) as refused:
        services.update_case(
            actor=owner,
            case_id=draft.pk,
            values={"title": "Again", "currency": "XYZ", "incoterms": "ABC"},
        )
    assert set(refused.value.message_dict) == {"currency", "incoterms"}
    draft.refresh_from_db()
    assert draft.title == "Renamed"
    # Saving the same values again changes nothing and records nothing.
    services.update_case(actor=owner, case_id=draft.pk, values={"title": "Renamed"})
    assert events("import_case.updated").count() == 1


def test_edit_page_shows_errors_on_the_form(client, owner, draft, regime):
    client.force_login(owner)
    url = reverse("customs:case_edit", args=[draft.pk])
    assert client.get(url).status_code == 200
    data = {"title": "T", "regime": regime.pk, "currency": "QQQ", "contract_date": "yesterday"}
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date." in page
    data["contract_date"] = "2026-03-02"
    page = client.post(url, data).content.decode()
    assert "ISO 4217" in page
    data["currency"] = "EUR"
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.currency == "EUR" and str(draft.contract_date) == "2026-03-02"


# --- Parties -------------------------------------------------------------------------------


def test_foreign_parties_need_registration_number_and_address(owner, draft):
    with pytest.raises(ValidationError) as refused:
        services.add_party(
            actor=owner,
            case_id=draft.pk,
            values={**SUPPLIER, "registration_number": "", "address": "", "bin": "940140000385"},
        )
    assert set(refused.value.message_dict) == {"registration_number", "address", "bin"}
    party = services.add_party(actor=owner, case_id=draft.pk, values=SUPPLIER)
    assert party.role == "supplier" and party.bin == ""
    assert events("import_case.party_added").count() == 1


def test_kazakh_parties_need_a_valid_bin(owner, draft):
    consignee = {**SUPPLIER, "role": "consignee", "country": "KZ", "registration_number": ""}
    for bad in ("", "940140000386", "12345"):
        with pytest.raises(ValidationError) as refused:
            services.add_party(actor=owner, case_id=draft.pk, values={**consignee, "bin": bad})
        assert "bin" in refused.value.message_dict
    party = services.add_party(
        actor=owner, case_id=draft.pk, values={**consignee, "bin": "9401 4000 0385"}
    )
    assert party.bin == "940140000385"


def test_the_importer_stays_one_and_cannot_be_removed(owner, draft):
    importer = draft.parties.get(role="importer")
    with pytest.raises(ValidationError):
        services.add_party(actor=owner, case_id=draft.pk, values={**SUPPLIER, "role": "importer"})
    with pytest.raises(ValidationError):
        services.remove_party(actor=owner, case_id=draft.pk, party_id=importer.pk)
    changed = services.update_party(
        actor=owner,
        case_id=draft.pk,
        party_id=importer.pk,
        values={**SUPPLIER, "role": "supplier", "country": "KZ", "bin": importer.bin},
    )
    assert changed.role == "importer" and changed.name == SUPPLIER["name"]
    supplier = services.add_party(actor=owner, case_id=draft.pk, values=SUPPLIER)
    services.remove_party(actor=owner, case_id=draft.pk, party_id=supplier.pk)
    assert list(draft.parties.values_list("role", flat=True)) == ["importer"]


def test_party_pages(client, owner, draft):
    client.force_login(owner)
    url = reverse("customs:party_add", args=[draft.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {**SUPPLIER, "address": ""}).content.decode()
    assert "Give the foreign party" in page
    response = client.post(url, SUPPLIER)
    assert response.status_code == 302
    supplier = draft.parties.get(role="supplier")
    edit = reverse("customs:party_edit", args=[draft.pk, supplier.pk])
    assert client.post(edit, {**SUPPLIER, "name": "Renamed Inc."}).status_code == 302
    supplier.refresh_from_db()
    assert supplier.name == "Renamed Inc."


# --- Attachments ---------------------------------------------------------------------------


def test_pdf_attachments_are_stored_privately_and_downloadable(client, owner, draft):
    client.force_login(owner)
    url = reverse("customs:attachment_upload", args=[draft.pk])
    response = client.post(url, {"kind": "contract", "file": pdf("Supply Contract.pdf")})
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get(case=draft)
    assert attachment.original_name == "Supply Contract.pdf" and attachment.size == len(PDF_BYTES)
    assert len(attachment.sha256) == 64 and "Supply" not in attachment.file.name
    assert storages["private"].exists(attachment.file.name)
    download = client.get(reverse("customs:attachment_download", args=[draft.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert "attachment" in download["Content-Disposition"]
    stranger = UserFactory()
    client.force_login(stranger)
    url = reverse("customs:attachment_download", args=[draft.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_non_pdf_and_large_files_are_refused(client, owner, draft, settings):
    client.force_login(owner)
    url = reverse("customs:attachment_upload", args=[draft.pk])
    page = client.post(url, {"kind": "contract", "file": pdf("a.pdf", b"GIF89a")}).content.decode()
    assert "not a PDF" in page
    page = client.post(url, {"kind": "contract", "file": pdf("a.docx")}).content.decode()
    assert "Only PDF files" in page
    settings.PORTAL_ATTACHMENT_MAX_BYTES = 5
    page = client.post(url, {"kind": "contract", "file": pdf()}).content.decode()
    assert "at most" in page
    page = client.post(url, {"kind": "diploma", "file": pdf()}).content.decode()
    assert "Select a valid choice" in page
    assert not CaseAttachment.objects.exists()


def test_removed_attachment_leaves_storage_after_commit(
    owner, draft, django_capture_on_commit_callbacks
):
    attachment = services.add_attachment(
        actor=owner, case_id=draft.pk, kind="contract", upload=pdf()
    )
    name = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(actor=owner, case_id=draft.pk, attachment_id=attachment.pk)
    assert not storages["private"].exists(name)
    assert events("import_case.attachment_removed").get().data["kind"] == "contract"


# --- The case page and comments --------------------------------------------------------------


def test_case_page_shows_checks_relief_and_lines(client, owner, draft, line):
    client.force_login(owner)
    page = client.get(reverse("customs:case_detail", args=[draft.pk])).content.decode()
    assert "Errors: they stop the submission" in page
    assert "Add the supplier" in page
    assert "2 pieces need 2 serial numbers" in page  # grouped under line 1
    assert "Estimated relief" in page
    assert "8471 50 000 0" in page
    assert "History" not in page  # the audit timeline is for staff


def test_complete_case_passes_every_check(client, db):
    case, owner = importer_case(planned_import_date=timezone.localdate() + timedelta(days=30))
    client.force_login(owner)
    page = client.get(reverse("customs:case_detail", args=[case.pk])).content.decode()
    assert "No problems found" in page


def test_comments_from_the_importer(client, owner, draft):
    client.force_login(owner)
    url = reverse("customs:comment_add", args=[draft.pk])
    response = client.post(url, {"body": "  "}, follow=True)
    assert "Write the comment." in response.content.decode()
    client.post(url, {"body": "The invoice follows next week."})
    comment = CaseComment.objects.get()
    assert comment.author == owner and not comment.is_change_request
    page = client.get(reverse("customs:case_detail", args=[draft.pk])).content.decode()
    assert "The invoice follows next week." in page


def test_outsiders_and_the_desk_cannot_edit(owner, draft, import_desk):
    stranger = UserFactory()
    with pytest.raises(Http404):
        services.add_line(actor=stranger, case_id=draft.pk, values=LINE)
    with pytest.raises(Http404):  # a draft never submitted is invisible to the desk
        services.add_line(actor=import_desk, case_id=draft.pk, values=LINE)
    ImportCase.objects.filter(pk=draft.pk).update(
        state=CaseState.CHANGES_REQUESTED, submitted_at=NOW
    )
    with pytest.raises(PermissionDenied):
        services.add_line(actor=import_desk, case_id=draft.pk, values=LINE)
    assert services.add_line(actor=owner, case_id=draft.pk, values=LINE).position == 1


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_case_pages_render_in_every_language(client, owner, draft, line, language):
    client.force_login(owner)
    client.cookies["django_language"] = language
    for name in ("customs:case_detail", "customs:case_edit", "customs:serial_import"):
        response = client.get(reverse(name, args=[draft.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        assert f'lang="{language}"' in response.content.decode()
