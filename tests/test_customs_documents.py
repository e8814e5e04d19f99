"""Generated documents of an import case: the application letters (Kazakh and Russian), the
equipment annex (PDF read with pdftotext, XLSX read back with openpyxl), the confirmation
with its verification code and QR, and `generate_case_documents` (what each state makes,
stored with hashes, safe to run twice, history kept).

The helpers at the top (`with_mixed_lines`, `submit`, `approve`) are shared with the
verification and access tests."""

import hashlib
import io
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent
from allocations.customs import documents
from allocations.customs.models import (
    CaseDocument,
    CaseState,
    Confirmation,
    EquipmentLine,
    ImportCase,
    SerialNumber,
)
from allocations.customs.verification import format_code
from tests.factories import MembershipFactory, UserFactory
from tests.factories_customs import make_case

CODE = "7KQ2MZXA4TRW3BNE"
ISSUED = datetime(2026, 5, 4, 10, 30, tzinfo=timezone.get_default_timezone())
SWITCH_SERIALS = ["SW-CN-0001", "SW-CN-0002", "SW-CN-0003"]


# --- Shared helpers --------------------------------------------------------------------------


def with_mixed_lines(case: ImportCase) -> ImportCase:
    """Add a line in another currency, HS code, unit and origin, with Kazakh text."""
    line = EquipmentLine.objects.create(
        case=case,
        position=case.lines.count() + 1,
        description="Желілік коммутатор 400G",
        manufacturer="Mellanox",
        model="SN5600",
        hs_code="8517620000",
        quantity=Decimal("3"),
        unit="pcs",
        unit_price=Decimal("1234.56"),
        currency="EUR",
        origin_country="CN",
    )
    SerialNumber.objects.bulk_create(SerialNumber(line=line, serial=s) for s in SWITCH_SERIALS)
    return case


def submit(case: ImportCase, *, when=ISSUED) -> ImportCase:
    ImportCase.objects.filter(pk=case.pk).update(state=CaseState.SUBMITTED, submitted_at=when)
    case.refresh_from_db()
    return case


def approve(
    case: ImportCase,
    *,
    code: str = CODE,
    valid_until: date = date(2029, 6, 1),
    number: str | None = None,
) -> Confirmation:
    number = number or f"KZ-IMP-2026-9{case.pk:04d}"
    if case.submitted_at is None:
        submit(case)
    ImportCase.objects.filter(pk=case.pk).update(
        state=CaseState.APPROVED, registry_number=number, decided_at=ISSUED
    )
    case.refresh_from_db()
    return Confirmation.objects.create(
        case=case,
        registry_number=number,
        verification_code=code,
        issued_at=ISSUED,
        valid_until=valid_until,
    )


def add_importer(case: ImportCase, role=MembershipRole.OWNER):
    user = UserFactory()
    MembershipFactory(organisation=case.organisation, user=user, role=role)
    return user


def pdf_text(data: bytes, *, first: int | None = None, last: int | None = None) -> str:
    command = ["pdftotext", "-layout"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    result = subprocess.run([*command, "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().replace("\u00a0", " ").split())


def pdf_pages(data: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    line = next(x for x in result.stdout.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def translated(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def case(db):
    """Two GPU-server lines (2 units and serials each, USD) and a switch line (EUR)."""
    return with_mixed_lines(make_case(lines=2, serials_per_line=2))


# --- Application letters ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_application_letter_in_each_language(case, language):
    submit(case)
    text = pdf_text(documents.application_letter_pdf(case, language=language))
    organisation = case.organisation
    assert case.reference in text
    assert organisation.legal_name in text
    assert organisation.bin in text
    assert case.regime.authority in text
    assert case.regime.legal_basis in text
    assert getattr(case.regime, f"name_{language}") in text
    assert "SC-2026/17" in text and "02.03.2026" in text  # contract
    assert "01.06.2026" in text  # planned import date
    assert "Kabanbay Batyr 53" in text  # installation site
    assert "04.05.2026" in text  # dated the day of submission
    assert "8471 50 000 0" in text and "8517 62 000 0" in text
    assert "1 000 000,00" in text  # 2 servers × 2 × 250 000 (USD)
    assert "3 703,68" in text  # 3 switches × 1 234,56 (EUR)
    assert "Example Systems Inc." in text  # the supplier
    assert translated(language, "BIN") in text
    with translation.override(language):
        for kind in case.attachments.values_list("kind", flat=True):
            assert str(dict(case.attachments.model._meta.get_field("kind").choices)[kind]) in text
    assert "contract.pdf" in text  # the enclosure's file name
    assert "DRAFT" not in text


def test_letter_languages_differ_and_draft_is_marked(case):
    kk = pdf_text(documents.application_letter_pdf(case, language="kk"))
    ru = pdf_text(documents.application_letter_pdf(case, language="ru"))
    assert case.regime.name_kk in kk and case.regime.name_kk not in ru
    assert case.regime.name_ru in ru and case.regime.name_ru not in kk
    assert translated("kk", "DRAFT: not submitted") in kk  # a draft previews as a draft


def test_letter_rejects_an_unknown_language(case):
    with pytest.raises(ValueError):
        documents.application_letter_pdf(case, language="de")


def test_big_case_letter_summarises_by_hs_code(db):
    servers = documents.LISTED_LINES_LIMIT + 5
    case = with_mixed_lines(make_case(lines=servers, serials_per_line=1))
    submit(case)
    text = pdf_text(documents.application_letter_pdf(case, language="ru"))
    assert "8471 50 000 0" in text and "8517 62 000 0" in text
    assert documents.money(Decimal(servers * 250_000)).replace("\u00a0", " ") in text
    assert f" {servers} " in text  # the lines of the HS code
    assert "SYS-821GE-TNHR" not in text  # one row per HS code, not per line


# --- Annex: PDF ------------------------------------------------------------------------------


def test_annex_pdf_lists_every_line_and_serial(case):
    submit(case)
    data = documents.annex_pdf(case)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert case.reference in text
    assert case.organisation.bin in text
    assert case.organisation.legal_name in text
    assert case.regime.name_kk in text and case.regime.name_ru in text
    assert "8471 50 000 0" in text and "8517 62 000 0" in text
    for serial in SerialNumber.objects.filter(line__case=case).values_list("serial", flat=True):
        assert serial in text
    assert "Supermicro" in text and "SYS-821GE-TNHR" in text and "SN5600" in text
    assert "Желілік коммутатор 400G" in text
    assert "250 000,00" in text and "500 000,00" in text and "1 234,56" in text
    assert "1 000 000,00" in text and "3 703,68" in text  # totals per currency
    assert "(CN)" in text and "(US)" in text  # origin with its code
    assert "Қытай" in text and "Китай" in text  # and its name in both languages
    assert "DRAFT" not in text


def test_annex_pdf_of_a_draft_is_marked_on_every_page(db):
    case = make_case(lines=120, serials_per_line=1)
    data = documents.annex_pdf(case)
    pages = pdf_pages(data)
    assert pages >= 2
    mark = translated("kk", "DRAFT: not submitted")
    for page in range(1, pages + 1):
        assert mark in pdf_text(data, first=page, last=page)


def test_annex_pdf_repeats_the_header_and_numbers_pages(db):
    case = make_case(lines=150, serials_per_line=2)
    data = documents.annex_pdf(case)
    pages = pdf_pages(data)
    assert pages >= 3
    header = translated("ru", "HS code")
    for page in range(1, pages + 1):
        text = pdf_text(data, first=page, last=page)
        assert header in text
        assert f"{page} " in text and f" {pages}" in text
    last = pdf_text(data, first=pages, last=pages)
    assert "75 000 000,00" in last  # 150 lines × 2 × 250 000, at the end


def test_annex_pdf_splits_a_row_taller_than_a_page(db):
    case = make_case(lines=1, serials_per_line=900)
    data = documents.annex_pdf(case)
    assert pdf_pages(data) >= 2
    text = pdf_text(data)
    serials = SerialNumber.objects.filter(line__case=case).values_list("serial", flat=True)
    missing = [serial for serial in serials if serial not in text]
    assert not missing, missing[:5]


def test_annex_pdf_is_deterministic(case):
    assert documents.annex_pdf(case) == documents.annex_pdf(case)


def test_annex_in_one_language(case):
    text = pdf_text(documents.annex_pdf(case, language="ru"))
    assert case.regime.name_ru in text and case.regime.name_kk not in text
    with pytest.raises(ValueError):
        documents.annex_pdf(case, language="xx")


# --- Annex: XLSX -----------------------------------------------------------------------------


def test_annex_xlsx_columns_values_totals_and_serials(case):
    submit(case)
    workbook = load_workbook(io.BytesIO(documents.annex_xlsx(case)))
    assert workbook.sheetnames == ["Annex", "Serials", "Case"]
    annex = list(workbook["Annex"].iter_rows(values_only=True))
    header = annex[0]
    keys = [
        "No.",
        "Name (description)",
        "Manufacturer",
        "Model",
        "HS code",
        "Quantity",
        "Unit",
        "Unit price",
        "Total",
        "Currency",
        "Country of origin",
        "Country code",
        "Serial numbers",
    ]
    assert len(header) == len(keys)
    for cell, msgid in zip(header, keys, strict=True):
        assert translated("kk", msgid) in cell and translated("ru", msgid) in cell
    first, second, switch = annex[1:4]
    serials = list(
        SerialNumber.objects.filter(line__case=case, line__position=1)
        .order_by("serial")
        .values_list("serial", flat=True)
    )
    assert first[0] == 1
    assert first[1:5] == ("GPU server, 8 × H200", "Supermicro", "SYS-821GE-TNHR", "8471 50 000 0")
    assert Decimal(str(first[5])) == 2
    assert Decimal(str(first[7])) == Decimal("250000") and Decimal(str(first[8])) == 500000
    assert first[9] == "USD" and first[11] == "US"
    assert first[12] == ", ".join(serials)
    assert second[0] == 2
    assert switch[0] == 3 and switch[4] == "8517 62 000 0" and switch[11] == "CN"
    assert "Китай" in switch[10]
    assert Decimal(str(switch[8])) == Decimal("3703.68") and switch[9] == "EUR"
    assert switch[12] == ", ".join(SWITCH_SERIALS)
    totals = {row[9]: Decimal(str(row[8])) for row in annex[5:] if row and row[8] is not None}
    assert totals == {"EUR": Decimal("3703.68"), "USD": Decimal("1000000")}
    serial_rows = list(workbook["Serials"].iter_rows(values_only=True))
    assert len(serial_rows) == 1 + 2 + 2 + 3
    assert serial_rows[1] == (1, serials[0])
    assert (3, "SW-CN-0002") in serial_rows
    particulars = {row[0]: row[1] for row in workbook["Case"].iter_rows(values_only=True)}
    assert case.reference in particulars.values()
    assert case.organisation.bin in particulars.values()


def test_annex_xlsx_cuts_a_serial_list_longer_than_a_cell(db):
    case = make_case(lines=1, serials_per_line=3000)
    workbook = load_workbook(io.BytesIO(documents.annex_xlsx(case)))
    row = list(workbook["Annex"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert "3000" in row[12] and len(row[12]) < 200
    assert workbook["Serials"].max_row == 3001


# --- Confirmation ----------------------------------------------------------------------------


def test_confirmation_pdf(case):
    confirmation = approve(case)
    text = pdf_text(documents.confirmation_pdf(confirmation))
    assert confirmation.registry_number in text
    assert format_code(CODE) in text
    assert f"/verify/{CODE}/" in text  # the URL the QR code holds is printed too
    assert case.organisation.bin in text and case.organisation.legal_name in text
    assert case.regime.name_kk in text and case.regime.name_ru in text
    assert case.regime.legal_basis in text
    assert "04.05.2026" in text and "01.06.2029" in text
    assert "8471 50 000 0" in text and "8517 62 000 0" in text
    assert "1 000 000,00" in text and "3 703,68" in text


def test_confirmation_qr_holds_the_verification_url(case, settings):
    settings.SITE_URL = "https://portal.example.kz/"
    confirmation = approve(case)
    url = documents.verification_url(confirmation.verification_code)
    assert url == f"https://portal.example.kz/verify/{CODE}/"
    uri = documents.qr_data_uri(url)
    assert uri.startswith("data:image/svg+xml;base64,")
    context = documents.confirmation_context(confirmation, languages=("kk", "ru"))
    assert context["qr"] == uri and context["url"] == url


# --- generate_case_documents -----------------------------------------------------------------


def _stored(case) -> list[CaseDocument]:
    return list(CaseDocument.objects.filter(case=case).order_by("kind", "language", "id"))


def test_submitted_case_gets_letters_and_annex_with_hashes(case):
    submit(case)
    created = documents.generate_case_documents(case_id=case.pk)
    kinds = sorted((d.kind, d.language) for d in created)
    assert kinds == [
        ("annex_pdf", "kk+ru"),
        ("annex_xlsx", "kk+ru"),
        ("application_letter", "kk"),
        ("application_letter", "ru"),
    ]
    for document in _stored(case):
        with document.file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == document.sha256
        assert document.generated_at is not None
    event = AuditEvent.objects.get(verb="import_case.documents_generated")
    assert event.target_id == str(case.pk) and len(event.data["documents"]) == 4


def test_generating_twice_stores_nothing_new(case):
    submit(case)
    documents.generate_case_documents(case_id=case.pk)
    assert documents.generate_case_documents(case_id=case.pk) == []
    assert len(_stored(case)) == 4
    assert AuditEvent.objects.filter(verb="import_case.documents_generated").count() == 1


def test_changed_content_gets_new_versions_and_keeps_history(case):
    submit(case)
    documents.generate_case_documents(case_id=case.pk)
    EquipmentLine.objects.filter(case=case, position=1).update(unit_price=Decimal("260000"))
    created = documents.generate_case_documents(case_id=case.pk, now=timezone.now())
    assert {d.kind for d in created} == {"annex_pdf", "annex_xlsx", "application_letter"}
    assert CaseDocument.objects.filter(case=case, kind="annex_pdf").count() == 2
    newest = CaseDocument.objects.filter(case=case, kind="annex_pdf").order_by("-generated_at")[0]
    with newest.file.open("rb") as handle:
        assert "260 000,00" in pdf_text(handle.read())


def test_draft_and_rejected_cases_get_nothing(case):
    assert documents.generate_case_documents(case_id=case.pk) == []
    ImportCase.objects.filter(pk=case.pk).update(state=CaseState.REJECTED)
    assert documents.generate_case_documents(case_id=case.pk) == []
    assert documents.generate_case_documents(case_id=0) == []


def test_approved_case_gets_its_confirmation_once(case):
    submit(case)
    documents.generate_case_documents(case_id=case.pk)
    confirmation = approve(case)
    created = documents.generate_case_documents(case_id=case.pk)
    assert [(d.kind, d.language) for d in created] == [("confirmation", "kk+ru")]
    confirmation.refresh_from_db()
    assert confirmation.document_sha256 == created[0].sha256
    with created[0].file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == confirmation.document_sha256
    annex = CaseDocument.objects.get(case=case, kind="annex_pdf")
    assert annex.sha256 in pdf_text(content)  # the confirmation names its annex
    assert documents.generate_case_documents(case_id=case.pk) == []
    assert CaseDocument.objects.filter(case=case, kind="confirmation").count() == 1


def test_case_approved_before_the_worker_ran_gets_everything(case):
    approve(case)
    created = documents.generate_case_documents(case_id=case.pk)
    assert sorted(d.kind for d in created) == [
        "annex_pdf",
        "annex_xlsx",
        "application_letter",
        "application_letter",
        "confirmation",
    ]
    assert documents.generate_case_documents(case_id=case.pk) == []


def test_submission_through_the_workflow_renders_the_documents(
    db, django_capture_on_commit_callbacks
):
    """The workflow's submit sends the Celery task (eager here), which calls us."""
    from allocations.customs import services

    case = make_case(lines=2, serials_per_line=2)
    owner = add_importer(case)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_case(actor=owner, case_id=case.pk, now=timezone.now())
    kinds = sorted(CaseDocument.objects.filter(case=case).values_list("kind", "language"))
    assert kinds == [
        ("annex_pdf", "kk+ru"),
        ("annex_xlsx", "kk+ru"),
        ("application_letter", "kk"),
        ("application_letter", "ru"),
    ]


def test_document_file_names(case):
    name = documents.document_filename(case, "application_letter", "kk")
    assert name == f"{case.reference}-application-letter-kk.pdf"
    assert (
        documents.document_filename(case, "annex_xlsx", "kk+ru") == f"{case.reference}-annex.xlsx"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567.5"), "1 234 567,50"),
        (Decimal("0"), "0,00"),
        (Decimal("0.005"), "0,01"),
        (Decimal("-12.34"), "-12,34"),
    ],
)
def test_money_is_grouped_and_rounded_half_up(value, text):
    assert documents.money(value).replace("\u00a0", " ") == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("8.000"), "8"), (Decimal("2.500"), "2,5"), (Decimal("1500.125"), "1 500,125")],
)
def test_quantities_drop_trailing_zeros(value, text):
    assert documents.quantity_text(value).replace("\u00a0", " ") == text


def test_wrap_breaks_long_words():
    font = documents._Font("regular", "F1")
    lines = font.wrap("A" * 300 + " short words here", 6.5, 100)
    assert all(font.width(line, 6.5) <= 100 for line in lines)
    assert "".join(lines).replace(" ", "").startswith("A" * 300)


def test_a_sparse_case_still_renders(db):
    """No parties, no contract, no planned date, no lines: the documents still render."""
    case = make_case(
        lines=0,
        with_parties=False,
        with_documents=False,
        contract_number="",
        planned_import_date=None,
    )
    submit(case)
    assert case.organisation.legal_name in pdf_text(
        documents.application_letter_pdf(case, language="ru")
    )
    assert case.reference in pdf_text(documents.annex_pdf(case))
    workbook = load_workbook(io.BytesIO(documents.annex_xlsx(case)))
    assert workbook["Annex"].max_row == 1  # the header alone
    confirmation = approve(case)
    assert confirmation.registry_number in pdf_text(documents.confirmation_pdf(confirmation))
