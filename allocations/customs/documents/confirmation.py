"""The confirmation issued on approval: registry number, importer, regime, equipment,
validity, the verification code and a QR code of the public verification page. A4,
Kazakh and Russian; WeasyPrint, templates/customs/pdf/confirmation.html."""

from __future__ import annotations

import base64
import io

from django.conf import settings
from django.urls import reverse

from allocations.customs.documents.case_data import case_data
from allocations.customs.documents.formatting import dmy, local_date, regime_name
from allocations.customs.documents.html_pdf import equipment_context, render_pdf
from allocations.customs.documents.labels import (
    BILINGUAL,
    Label,
    label_with,
    labels,
    languages_of,
)
from allocations.customs.models import CaseDocument, Confirmation, ImportCase

CONFIRMATION_TEMPLATE = "customs/pdf/confirmation.html"


def verification_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("customs:verify_code", args=[code])


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URI (WeasyPrint embeds it as vectors)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _latest_annex_sha(case: ImportCase) -> str:
    return (
        CaseDocument.objects.filter(case=case, kind=CaseDocument.Kind.ANNEX_PDF)
        .order_by("-generated_at", "-id")
        .values_list("sha256", flat=True)
        .first()
        or ""
    )


def confirmation_context(confirmation: Confirmation, *, languages: tuple[str, ...]) -> dict:
    from allocations.customs.verification import format_code

    case = confirmation.case
    data = case_data(case)
    regime = case.regime
    t = labels(languages)
    url = verification_url(confirmation.verification_code)
    exemptions = [
        str(t[key])
        for key, on in (("duty", regime.exempts_duty), ("vat", regime.exempts_vat))
        if on
    ]
    contract = ""
    if case.contract_number:
        contract = label_with(
            languages, "contract_of", number=case.contract_number, date=dmy(case.contract_date)
        )
    return {
        "lang": languages[0],
        "t": t,
        "confirmation": confirmation,
        "case": case,
        "importer": data.importer,
        "regime_name": Label([regime_name(regime, language) for language in languages]),
        "regime": regime,
        "exemptions": ", ".join(exemptions),
        "issued": dmy(local_date(confirmation.issued_at)),
        "valid_until": dmy(confirmation.valid_until),
        "contract": contract,
        "counts": label_with(languages, "counts", lines=len(data.lines), serials=data.serial_count),
        "annex_sha": _latest_annex_sha(case),
        "code": format_code(confirmation.verification_code),
        "url": url,
        "qr": qr_data_uri(url),
        **equipment_context(data, languages),
    }


def confirmation_pdf(confirmation: Confirmation, *, language: str = BILINGUAL) -> bytes:
    """The confirmation issued on approval (A4 PDF), with its verification code and QR."""
    languages = languages_of(language)
    confirmation = Confirmation.objects.select_related("case__organisation", "case__regime").get(
        pk=confirmation.pk
    )
    context = confirmation_context(confirmation, languages=languages)
    return render_pdf(CONFIRMATION_TEMPLATE, context, language=languages[0])
