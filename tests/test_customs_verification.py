"""Public verification of confirmations: valid, revoked, expired and unknown codes, what
people type (case, spaces, dashes, 0 for O), that the page shows nothing beyond what the
confirmation states, the per-address rate limit (HTTP 429) and junk input (never a 500)."""

from dataclasses import fields
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from allocations.customs import verification
from allocations.customs.models import CaseComment, Confirmation
from tests.factories_customs import make_case
from tests.test_customs_documents import CODE, approve, with_mixed_lines

TODAY = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _empty_cache():
    """The rate limit counts in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def confirmation(db) -> Confirmation:
    case = with_mixed_lines(make_case(lines=2, serials_per_line=2))
    return approve(case, valid_until=date(2029, 6, 1))


def page(client, code: str, **extra):
    return client.get(reverse("customs:verify_code", args=[code]), **extra)


# --- verify() --------------------------------------------------------------------------------


def test_valid_confirmation_states_what_the_document_states(confirmation):
    result = verification.verify(code=CODE, today=TODAY)
    case = confirmation.case
    assert result.status == verification.GENUINE_VALID and result.is_valid
    assert result.registry_number == confirmation.registry_number
    assert result.code == "7KQ2-MZXA-4TRW-3BNE"
    assert result.issued_on == date(2026, 5, 4)
    assert result.valid_until == date(2029, 6, 1)
    assert result.revoked_on is None
    assert result.importer_name == case.organisation.legal_name
    assert result.importer_bin == case.organisation.bin
    assert result.regime_name == case.regime.name_en
    assert result.line_count == 3
    assert [(c, str(t)) for c, t in result.totals] == [("EUR", "3703.68"), ("USD", "1000000.00")]
    # Nothing else is carried: the result has exactly these fields.
    assert {f.name for f in fields(result)} == {
        "status",
        "code",
        "registry_number",
        "issued_on",
        "valid_until",
        "revoked_on",
        "importer_name",
        "importer_bin",
        "regime_name",
        "line_count",
        "totals",
    }


def test_revoked_confirmation(confirmation):
    Confirmation.objects.filter(pk=confirmation.pk).update(
        revoked_at=timezone.now(), revoke_reason="Equipment resold"
    )
    result = verification.verify(code=CODE, today=TODAY)
    assert result.status == verification.REVOKED and not result.is_valid
    assert result.revoked_on == timezone.localdate()


def test_expired_confirmation(confirmation):
    assert verification.verify(code=CODE, today=date(2029, 6, 1)).status == "genuine_valid"
    result = verification.verify(code=CODE, today=date(2029, 6, 2))
    assert result.status == verification.EXPIRED


def test_revoked_wins_over_expired(confirmation):
    Confirmation.objects.filter(pk=confirmation.pk).update(revoked_at=timezone.now())
    assert verification.verify(code=CODE, today=date(2030, 1, 1)).status == verification.REVOKED


@pytest.mark.parametrize("code", ["ABCDEFGHIJKLMNOP", None, "", "short", "x" * 200, "ÄÖÜ" * 6])
def test_unknown_codes(confirmation, code):
    result = verification.verify(code=code, today=TODAY)
    assert result.status == verification.UNKNOWN and not result.found
    assert result.registry_number == "" and result.importer_name == ""


@pytest.mark.parametrize(
    "typed",
    [
        "7KQ2MZXA4TRW3BNE",
        "7kq2mzxa4trw3bne",
        "7KQ2-MZXA-4TRW-3BNE",
        " 7kq2 mzxa 4trw 3bne ",
        "7KQ2_MZXA.4TRW/3BNE",
        "7kq2\u00a0mzxa\t4trw\n3bne",
    ],
)
def test_what_people_type_is_normalised(confirmation, typed):
    assert verification.normalise_code(typed) == CODE
    assert verification.verify(code=typed, today=TODAY).status == verification.GENUINE_VALID


def test_zero_and_one_are_read_as_o_and_i(db):
    approve(make_case(lines=1), code="OIQ2MZXA4TRW3BNE")
    assert verification.verify(code="01q2-mzxa-4trw-3bne", today=TODAY).found


@pytest.mark.parametrize(
    "typed", ["７ＫＱ２ＭＺＸＡ４ＴＲＷ３ＢＮＥ", "7KQ2MZXA4TRW3BN€", "<script>", "1' OR '1'='1"]
)
def test_what_cannot_be_a_code(typed):
    assert verification.normalise_code(typed) is None


# --- The pages -------------------------------------------------------------------------------


def test_valid_page_for_anonymous_visitors(client, confirmation):
    response = page(client, CODE)
    assert response.status_code == 200
    text = response.content.decode()
    case = confirmation.case
    assert confirmation.registry_number in text
    assert "7KQ2-MZXA-4TRW-3BNE" in text
    assert case.organisation.legal_name in text and case.organisation.bin in text
    assert case.regime.name_en in text
    assert "01.06.2029" in text and "04.05.2026" in text
    assert "1,000,000.00 USD" in text and "3,703.68 EUR" in text
    assert "Genuine and valid" in text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_the_page_shows_nothing_beyond_the_document(client, confirmation):
    case = confirmation.case
    CaseComment.objects.create(case=case, author=case.created_by, body="SECRET-DESK-REMARK")
    Confirmation.objects.filter(pk=confirmation.pk).update(
        revoked_at=timezone.now(), revoke_reason="CONFIDENTIAL-REASON"
    )
    text = page(client, CODE).content.decode()
    assert "Revoked" in text
    for secret in (
        "SECRET-DESK-REMARK",
        "CONFIDENTIAL-REASON",
        case.created_by.email,
        "@example.org",
        case.contract_number,
        "Kabanbay Batyr",  # installation site
        "Example Systems",  # supplier
        "SW-CN-0001",  # serial numbers
        "contract.pdf",  # attachments
        case.title,
        case.reference,
    ):
        assert secret not in text, secret


def test_revoked_and_expired_pages(client, confirmation):
    Confirmation.objects.filter(pk=confirmation.pk).update(valid_until=date(2020, 1, 1))
    text = page(client, CODE).content.decode()
    assert "expired" in text and "01.01.2020" in text
    Confirmation.objects.filter(pk=confirmation.pk).update(revoked_at=timezone.now())
    text = page(client, CODE).content.decode()
    assert "Revoked" in text and "no longer confirms" in text


def test_unknown_code_page(client, confirmation):
    response = page(client, "ABCD-EFGH-JKLM-NPQR")
    assert response.status_code == 404
    text = response.content.decode()
    assert "No confirmation has the code" in text and "ABCD-EFGH-JKLM-NPQR" in text
    assert confirmation.registry_number not in text


def test_url_with_dashes_and_lower_case(client, confirmation):
    response = page(client, "7kq2-mzxa-4trw-3bne")
    assert response.status_code == 200
    assert confirmation.registry_number in response.content.decode()


def test_form_redirects_to_the_code_page(client, confirmation):
    url = reverse("customs:verify_form")
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    response = client.get(url, {"code": " 7kq2 mzxa-4trw 3bne "})
    assert response.status_code == 302
    assert response["Location"] == reverse("customs:verify_code", args=[CODE])


@pytest.mark.parametrize("junk", ["", "   ", "x" * 500, "<b>bold</b>", "ÄÖÜ", "%00", "a\x00b"])
def test_junk_in_the_form_gets_a_message(client, db, junk):
    response = client.get(reverse("customs:verify_form"), {"code": junk})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert b"<b>bold</b>" not in response.content


@pytest.mark.parametrize(
    "junk",
    ["x" * 300, "<script>alert(1)<", "ÄÖÜ-ÄÖÜ", "%00%00", "..", "1' OR '1'='1", "𝟘𝟙𝟚", "-"],
)
def test_junk_in_the_url_is_never_a_500(client, db, junk):
    response = page(client, junk)
    assert response.status_code == 404
    assert b"<script>alert(1)" not in response.content


def test_only_get(client, confirmation):
    assert client.post(reverse("customs:verify_code", args=[CODE])).status_code == 405
    assert client.post(reverse("customs:verify_form"), {"code": CODE}).status_code == 405


# --- Rate limit ------------------------------------------------------------------------------


def test_thirty_lookups_per_ten_minutes_then_429(client, confirmation):
    for _attempt in range(30):
        assert page(client, CODE).status_code == 200
    response = page(client, CODE)
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "10 minutes" in response.content.decode()
    # The form page itself is not a look-up; a code typed into it is.
    assert client.get(reverse("customs:verify_form")).status_code == 200
    assert client.get(reverse("customs:verify_form"), {"code": CODE}).status_code == 429
    # Another address is not affected.
    assert page(client, CODE, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_unknown_codes_count_too(client, db, settings):
    settings.CUSTOMS_VERIFY_RATE_LIMIT = (3, 60)
    for _attempt in range(3):
        assert page(client, "ABCDEFGHIJKLMNOP").status_code == 404
    response = page(client, "ABCDEFGHIJKLMNOP")
    assert response.status_code == 429 and response["Retry-After"] == "60"


def test_the_window_ends(client, confirmation, settings):
    settings.CUSTOMS_VERIFY_RATE_LIMIT = (1, 600)
    assert page(client, CODE).status_code == 200
    assert page(client, CODE).status_code == 429
    cache.clear()  # what the window's end does
    assert page(client, CODE).status_code == 200


def test_valid_until_is_inclusive_on_the_page(client, confirmation):
    Confirmation.objects.filter(pk=confirmation.pk).update(valid_until=timezone.localdate())
    assert "Genuine and valid" in page(client, CODE).content.decode()
    yesterday = timezone.localdate() - timedelta(days=1)
    Confirmation.objects.filter(pk=confirmation.pk).update(valid_until=yesterday)
    assert "expired" in page(client, CODE).content.decode()
