"""Rendering and storing a case's documents as its state calls for (the Celery task calls
`generate_case_documents`).

Output is deterministic (no dates or random ids in the files): the same case gives the same
bytes, so a document is stored again only when its SHA-256 changed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from allocations.core.audit import record
from allocations.customs.documents.annex import annex_pdf, annex_xlsx
from allocations.customs.documents.confirmation import confirmation_pdf
from allocations.customs.documents.labels import BILINGUAL
from allocations.customs.documents.letter import application_letter_pdf
from allocations.customs.models import CaseDocument, CaseState, Confirmation, ImportCase

logger = logging.getLogger(__name__)

# States in which the application and the annex are (re)made, and the states after
# approval, in which missing documents are made once and the confirmation is issued.
SUBMITTED_STATES = (CaseState.SUBMITTED, CaseState.REVIEW)
APPROVED_STATES = (CaseState.APPROVED, CaseState.DECLARED, CaseState.MONITORING)


@dataclass(frozen=True)
class Rendered:
    kind: str
    language: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _latest_shas(case: ImportCase) -> dict[tuple[str, str], str]:
    latest: dict[tuple[str, str], str] = {}
    for kind, language, sha in (
        CaseDocument.objects.filter(case=case)
        .order_by("-generated_at", "-id")
        .values_list("kind", "language", "sha256")
    ):
        latest.setdefault((kind, language), sha)
    return latest


def document_filename(case: ImportCase, kind: str, language: str) -> str:
    """ "IMP-2026-00042-annex.xlsx", "IMP-2026-00042-application-letter-kk.pdf"."""
    stem = {
        CaseDocument.Kind.APPLICATION_LETTER: f"application-letter-{language}",
        CaseDocument.Kind.ANNEX_PDF: "annex",
        CaseDocument.Kind.ANNEX_XLSX: "annex",
        CaseDocument.Kind.CONFIRMATION: "confirmation",
    }.get(kind, kind)
    extension = "xlsx" if kind == CaseDocument.Kind.ANNEX_XLSX else "pdf"
    return f"{case.reference}-{stem}.{extension}"


def _store(case: ImportCase, rendered: Rendered, *, now) -> CaseDocument:
    document = CaseDocument(
        case=case,
        kind=rendered.kind,
        language=rendered.language,
        sha256=rendered.sha256,
        generated_at=now,
    )
    name = document_filename(case, rendered.kind, rendered.language)
    document.file.save(name, ContentFile(rendered.content), save=False)
    document.save()
    return document


def _submission_documents(case: ImportCase, latest: dict, *, only_missing: bool) -> list:
    """The letters and the annex: each rendered (unless `only_missing` and one is stored)
    and kept when its bytes differ from the newest stored one of its kind and language."""
    letter = CaseDocument.Kind.APPLICATION_LETTER
    makers = [
        (letter, "kk", lambda: application_letter_pdf(case, language="kk")),
        (letter, "ru", lambda: application_letter_pdf(case, language="ru")),
        (CaseDocument.Kind.ANNEX_PDF, BILINGUAL, lambda: annex_pdf(case)),
        (CaseDocument.Kind.ANNEX_XLSX, BILINGUAL, lambda: annex_xlsx(case)),
    ]
    wanted = []
    for kind, language, render in makers:
        if only_missing and (kind, language) in latest:
            continue
        rendered = Rendered(kind, language, render())
        if latest.get((kind, language)) != rendered.sha256:
            wanted.append(rendered)
    return wanted


def generate_case_documents(*, case_id: int, now=None) -> list[CaseDocument]:
    """Render and store what the case's state calls for; safe to run twice.

    - submitted, review: the application letters (kk, ru) and the annex (PDF, XLSX). Each
      is rendered afresh; a new row is stored only when its SHA-256 differs from the newest
      row of its kind and language (older rows stay as the history). A second run, or a
      run after a resubmission without changes, stores nothing.
    - approved, declared, monitoring: the letters and the annex only if none was ever
      stored (a case approved before the worker got to it), then the confirmation once:
      stored with its SHA-256 in `Confirmation.document_sha256`; never remade after that
      (what was issued is what was issued; revoking it shows on the verification page).
    - other states: nothing.

    The case row is locked while it works, so two workers do not store the same document.
    Returns the rows stored by this call.
    """
    now = now or timezone.now()
    created: list[CaseDocument] = []
    with transaction.atomic():
        case = (
            ImportCase.objects.select_for_update(of=("self",))
            .select_related("organisation", "regime")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            logger.warning("generate_case_documents: no import case %s", case_id)
            return []
        latest = _latest_shas(case)
        rendered: list[Rendered] = []
        if case.state in SUBMITTED_STATES:
            rendered = _submission_documents(case, latest, only_missing=False)
        elif case.state in APPROVED_STATES:
            rendered = _submission_documents(case, latest, only_missing=True)
        for item in rendered:
            created.append(_store(case, item, now=now))
        if case.state in APPROVED_STATES:
            document = _issue_confirmation_document(case, now=now)
            if document is not None:
                created.append(document)
        if created:
            record(
                actor=None,
                verb="import_case.documents_generated",
                target=case,
                to_state=case.state,
                data={
                    "documents": [
                        {"kind": d.kind, "language": d.language, "sha256": d.sha256}
                        for d in created
                    ]
                },
            )
    return created


def _issue_confirmation_document(case: ImportCase, *, now) -> CaseDocument | None:
    confirmation = (
        Confirmation.objects.select_for_update().select_related("case").filter(case=case).first()
    )
    if confirmation is None:
        logger.warning("import case %s is %s but has no confirmation", case.pk, case.state)
        return None
    if (
        confirmation.document_sha256
        and CaseDocument.objects.filter(
            case=case, kind=CaseDocument.Kind.CONFIRMATION, sha256=confirmation.document_sha256
        ).exists()
    ):
        return None
    content = confirmation_pdf(confirmation)
    document = _store(case, Rendered(CaseDocument.Kind.CONFIRMATION, BILINGUAL, content), now=now)
    confirmation.document_sha256 = document.sha256
    confirmation.save(update_fields=["document_sha256"])
    return document
