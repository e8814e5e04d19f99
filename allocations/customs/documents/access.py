"""Who may download a case's documents, and as what content type."""

from __future__ import annotations

from django.http import Http404

from allocations.core.permissions import Capability, has_capability
from allocations.customs.models import CaseDocument, ImportCase

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def case_for_documents(*, user, case_pk: int) -> ImportCase:
    """The case, for its importers (owners and members of its organisation) and, once
    submitted, for the import desk; 404 for everyone else (ids reveal nothing)."""
    from allocations.customs.case_services import desk_may_see, is_importer

    case = ImportCase.objects.select_related("organisation", "regime").filter(pk=case_pk).first()
    if case is None or not user.is_authenticated:
        raise Http404
    if is_importer(user, case.organisation_id):
        return case
    if has_capability(user, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        return case
    raise Http404


def document_for_user(*, user, pk: int) -> CaseDocument:
    case_id = CaseDocument.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404
    case = case_for_documents(user=user, case_pk=case_id)
    document = CaseDocument.objects.get(pk=pk)
    document.case = case
    return document


def content_type_of(document: CaseDocument) -> str:
    return XLSX if document.kind == CaseDocument.Kind.ANNEX_XLSX else PDF
