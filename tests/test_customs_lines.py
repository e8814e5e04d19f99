"""Equipment lines of an import case and their serial numbers: numbering and HS codes,
bad values by field, the line pages, and serial numbers pasted or uploaded as CSV and XLSX
(good and bad files, rows named in the messages, nothing saved on an error)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allocations.customs import services
from allocations.customs.models import EquipmentLine, SerialNumber
from allocations.customs.serial_import import rows_from_upload
from tests.factories_customs import PDF_BYTES
from tests.factories_customs_cases import (
    LINE,
    case_draft,  # noqa: F401  (fixture `draft`)
    case_line,  # noqa: F401  (fixture `line`)
    case_organisation,  # noqa: F401  (fixture `organisation`)
    case_owner,  # noqa: F401  (fixture `owner`)
    case_regime,  # noqa: F401  (fixture `regime`)
    complete_case,
    csv_upload,
    events,
    pasted,
    xlsx_upload,
)

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
