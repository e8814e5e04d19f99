"""Import cases on the importer's side: opening a case, its contract, parties, equipment
lines, serial numbers (pasted, CSV and XLSX, good and bad) and attached files.

The helpers at the top are shared with test_customs_workflow and test_customs_access.
"""

import csv
import io
import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent
from allocations.customs import services
from allocations.customs.models import (
    CaseAttachment,
    CaseComment,
    CaseParty,
    CaseState,
    EquipmentLine,
    ImportCase,
    SerialNumber,
)
from allocations.customs.serial_import import rows_from_text, rows_from_upload
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories_accounts import make_owned_organisation
from tests.factories_customs import (
    PDF_BYTES,
    TODAY,
    PreferenceRegimeFactory,
    make_case,
)

NOW = timezone.make_aware(datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0))
SUPPLIER = {
    "role": "supplier",
    "name": "Example Systems Inc.",
    "country": "US",
    "bin": "",
    "registration_number": "C1234567",
    "address": "San Jose, CA",
}
LINE = {
    "description": "GPU server, 8 × H200",
    "manufacturer": "Supermicro",
    "model": "SYS-821GE-TNHR",
    "hs_code": "8471 50 000 0",
    "quantity": Decimal("2"),
    "unit": "pcs",
    "unit_price": Decimal("250000.00"),
    "currency": "USD",
    "origin_country": "US",
    "is_datacentre_gpu": False,
    "export_licence_number": "",
}


# --- Shared helpers --------------------------------------------------------------------


def add_importer(case, role=MembershipRole.OWNER, user=None):
    """A user acting for the case's organisation in `role`."""
    user = user or UserFactory()
    MembershipFactory(organisation=case.organisation, user=user, role=role)
    return user


_references = itertools.count(1)


def complete_case(**kwargs):
    """make_case() with a reference of its own series, so that it never meets the
    references the services hand out (IMP-<year>-<n>)."""
    kwargs.setdefault("reference", f"IMP-F-{next(_references):06d}")
    return make_case(**kwargs)


def importer_case(**kwargs):
    """A complete case (passes every check) with an owner: (case, owner)."""
    case = complete_case(**kwargs)
    return case, add_importer(case)


def pasted(text):
    return rows_from_text(text)


def csv_upload(rows, name="serials.csv", encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, name="serials.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def pdf(name="contract.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def events(verb):
    return AuditEvent.objects.filter(verb=verb).order_by("id")


# --- Fixtures ----------------------------------------------------------------------------


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def organisation(owner):
    return make_owned_organisation(owner)


@pytest.fixture
def regime(db):
    return PreferenceRegimeFactory()


@pytest.fixture
def draft(owner, organisation, regime):
    return services.create_case(
        actor=owner,
        organisation_id=organisation.pk,
        regime_id=regime.pk,
        title="Second H200 rack",
        now=NOW,
    )


@pytest.fixture
def line(owner, draft):
    return services.add_line(actor=owner, case_id=draft.pk, values=LINE)


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


# --- Equipment lines -----------------------------------------------------------------------


def test_lines_are_numbered_and_hs_codes_normalised(owner, draft, line):
    assert line.position == 1 and line.hs_code == "8471500000"
    second = services.add_line(
        actor=owner, case_id=draft.pk, values={**LINE, "hs_code": "8517.62.000.9"}
    )
    third = services.add_line(actor=owner, case_id=draft.pk, values=LINE)
    assert (second.position, second.hs_code, third.position) == (2, "8517620009", 3)
    services.remove_line(actor=owner, case_id=draft.pk, line_id=second.pk)
    assert list(draft.lines.order_by("position").values_list("pk", "position")) == [
        (line.pk, 1),
        (third.pk, 2),
    ]
    assert events("import_case.line_removed").get().data["position"] == 2


def test_bad_line_values_are_refused_by_field(owner, draft):
    bad = {
        **LINE,
        "hs_code": "8471 50",
        "quantity": Decimal("0"),
        "unit_price": Decimal("-1"),
        "currency": "dollars",
        "origin_country": "XX",
        "model": " ",
    }
    with pytest.raises(ValidationError) as refused:
        services.add_line(actor=owner, case_id=draft.pk, values=bad)
    assert set(refused.value.message_dict) == {
        "hs_code",
        "quantity",
        "unit_price",
        "currency",
        "origin_country",
        "model",
    }
    assert not EquipmentLine.objects.exists()


def test_line_pages(client, owner, draft, line):
    client.force_login(owner)
    add = reverse("customs:line_add", args=[draft.pk])
    page = client.get(add).content.decode()
    assert 'value="USD"' in page
    data = {**LINE, "hs_code": "12", "quantity": "1", "unit_price": "99999999999999999999"}
    page = client.post(add, data).content.decode()
    assert "10 digits" in page and "Ensure that there are no more than" in page
    data = {**LINE, "quantity": "1", "unit_price": "1000.50", "is_datacentre_gpu": "on"}
    response = client.post(add, data)
    new = draft.lines.get(position=2)
    assert (
        response["Location"] == f"{reverse('customs:serial_import', args=[draft.pk])}?line={new.pk}"
    )
    assert new.is_datacentre_gpu and new.unit_price == Decimal("1000.50")
    edit = reverse("customs:line_edit", args=[draft.pk, line.pk])
    assert client.post(edit, {**LINE, "quantity": "3"}).status_code == 302
    line.refresh_from_db()
    assert line.quantity == 3
    client.post(reverse("customs:line_remove", args=[draft.pk, new.pk]))
    assert draft.lines.count() == 1


# --- Serial numbers ------------------------------------------------------------------------


def _serials(case):
    return list(
        SerialNumber.objects.filter(line__case=case)
        .order_by("line__position", "serial")
        .values_list("line__position", "serial")
    )


def test_pasted_serials_are_normalised_and_saved(owner, draft, line):
    created = services.import_serials(
        actor=owner,
        case_id=draft.pk,
        parsed=pasted(" sn-001 \nSN-002; sn-003\n\n"),
        line_id=line.pk,
    )
    assert len(created) == 3
    assert _serials(draft) == [(1, "SN-001"), (1, "SN-002"), (1, "SN-003")]
    assert events("import_case.serials_added").get().data["count"] == 3


def test_bad_paste_saves_nothing_and_names_each_row(owner, draft, line):
    services.import_serials(actor=owner, case_id=draft.pk, parsed=pasted("OLD-1"), line_id=line.pk)
    other = complete_case(serial_prefix="TAKEN")  # has TAKEN-1-1
    text = "NEW-1\nnew-1\nOLD-1\nTAKEN-1-1\nBAD\x07SERIAL\n" + "X" * 101
    with pytest.raises(ValidationError) as refused:
        services.import_serials(actor=owner, case_id=draft.pk, parsed=pasted(text), line_id=line.pk)
    messages = refused.value.messages
    assert "Row 2 repeats the serial number NEW-1 of row 1." in messages
    assert "Row 3: OLD-1 is already on line 1 of this case." in messages
    assert any(
        m.startswith("Row 4: TAKEN-1-1 is already in case") and other.reference in m
        for m in messages
    )
    assert any(m.startswith("Row 5:") and "not a valid serial" in m for m in messages)
    assert any(m.startswith("Row 6:") for m in messages)
    assert _serials(draft) == [(1, "OLD-1")]


def test_serials_need_a_line(owner, draft, line):
    with pytest.raises(ValidationError) as refused:
        services.import_serials(actor=owner, case_id=draft.pk, parsed=pasted("A"), line_id=None)
    assert "line" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.import_serials(
            actor=owner, case_id=draft.pk, parsed=pasted("\n \n"), line_id=line.pk
        )


def test_csv_with_headings_puts_serials_on_their_lines(owner, draft, line):
    services.add_line(actor=owner, case_id=draft.pk, values={**LINE, "hs_code": "8517620009"})
    upload = csv_upload(
        [
            ["Line no.", "Model", "Serial number"],
            ["1", "X", "a-1"],
            ["2", "Y", "b-1"],
            ["", "", ""],
        ],
        delimiter=";",
    )
    created = services.import_serials(
        actor=owner, case_id=draft.pk, parsed=rows_from_upload(upload), source="serials.csv"
    )
    assert len(created) == 2
    assert _serials(draft) == [(1, "A-1"), (2, "B-1")]


def test_csv_without_headings_in_windows_1251(owner, draft, line):
    upload = csv_upload([["СН-1"], ["СН-2"]], encoding="cp1251")
    services.import_serials(
        actor=owner, case_id=draft.pk, parsed=rows_from_upload(upload), line_id=line.pk
    )
    assert _serials(draft) == [(1, "СН-1"), (1, "СН-2")]


def test_russian_headings_are_understood():
    parsed = rows_from_upload(csv_upload([["№", "Серийный номер"], ["1", "A"]]))
    assert parsed.has_line_column and parsed.rows[0].serial == "A" and parsed.rows[0].line == "1"


def test_csv_with_unknown_lines_and_empty_serials_reports_rows(owner, draft, line):
    upload = csv_upload([["Serial", "Line"], ["A", "1"], ["B", "7"], ["", "1"], ["C", "x"]])
    with pytest.raises(ValidationError) as refused:
        services.import_serials(actor=owner, case_id=draft.pk, parsed=rows_from_upload(upload))
    assert refused.value.messages == [
        "Row 3: the case has no line no. 7.",
        "Row 4: the serial number is empty.",
        "Row 5: the case has no line no. x.",
    ]
    assert not SerialNumber.objects.exists()


def test_xlsx_with_numeric_cells(owner, draft, line):
    upload = xlsx_upload([["S/N", "Line"], [123456, 1], [" abc-9 ", 1.0], [None, None]])
    services.import_serials(actor=owner, case_id=draft.pk, parsed=rows_from_upload(upload))
    assert _serials(draft) == [(1, "123456"), (1, "ABC-9")]


def test_xlsx_with_bad_rows_saves_nothing(owner, draft, line):
    upload = xlsx_upload([["Serial"], ["A"], ["B"], ["a"], ["C"]])
    with pytest.raises(ValidationError) as refused:
        services.import_serials(
            actor=owner, case_id=draft.pk, parsed=rows_from_upload(upload), line_id=line.pk
        )
    assert refused.value.messages == ["Row 4 repeats the serial number A of row 2."]
    assert not SerialNumber.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("serials.xls", b"\xd0\xcf\x11\xe0rest", "Old Excel files"),
        ("serials.xlsx", b"not a zip", "not an Excel workbook"),
        ("serials.xlsx", b"PK\x03\x04broken zip", "could not be read"),
        ("serials.pdf", PDF_BYTES, "Upload a CSV"),
        ("serials.csv", b"a\x00b", "not a CSV"),
    ],
)
def test_unreadable_files_are_explained(name, content, message):
    with pytest.raises(ValidationError) as refused:
        rows_from_upload(SimpleUploadedFile(name, content))
    assert message in refused.value.messages[0]


def test_too_large_files_are_refused(settings):
    settings.PORTAL_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        rows_from_upload(SimpleUploadedFile("s.csv", b"A\n" * 20))
    assert "at most" in refused.value.messages[0]


def test_serial_import_page_with_file_and_with_errors(client, owner, draft, line):
    client.force_login(owner)
    url = reverse("customs:serial_import", args=[draft.pk])
    page = client.get(f"{url}?line={line.pk}").content.decode()
    assert f'<option value="{line.pk}" selected>' in page
    response = client.post(url, {"line": line.pk, "file": xlsx_upload([["Serial"], ["Q"], ["Q"]])})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page and "Row 3 repeats the serial number Q of row 2." in page
    page = client.post(url, {"line": line.pk}).content.decode()
    assert "Paste serial numbers or choose a file" in page
    response = client.post(url, {"line": line.pk, "file": csv_upload([["Q1"], ["Q2"]])})
    assert response.status_code == 302
    response = client.post(url, {"line": line.pk, "serials": "Q3\nQ4"})
    assert response.status_code == 302
    assert len(_serials(draft)) == 4
    listing = client.get(reverse("customs:line_serials", args=[draft.pk, line.pk]))
    assert "Q4" in listing.content.decode()


def test_remove_one_serial_and_all_of_a_line(client, owner, draft, line):
    services.import_serials(
        actor=owner, case_id=draft.pk, parsed=pasted("A\nB\nC"), line_id=line.pk
    )
    client.force_login(owner)
    serial = SerialNumber.objects.get(serial="A")
    url = reverse("customs:serial_remove", args=[draft.pk, serial.pk])
    response = client.post(url, {"line": line.pk})
    assert response["Location"] == reverse("customs:line_serials", args=[draft.pk, line.pk])
    assert _serials(draft) == [(1, "B"), (1, "C")]
    client.post(reverse("customs:serials_clear", args=[draft.pk, line.pk]))
    assert _serials(draft) == []
    assert events("import_case.serials_cleared").get().data["count"] == 2


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
