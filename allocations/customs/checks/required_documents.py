"""The check of a case's attachments: the export licence and end-user statement of
data-centre GPUs, and the documents the regime requires."""

from __future__ import annotations

from allocations.customs.checks.problems import Collector, _
from allocations.customs.models import AttachmentKind, PreferenceRegime


def _kind_label(kind: str) -> str:
    try:
        return str(AttachmentKind(kind).label)
    except ValueError:
        return kind


def check_documents(out: Collector, *, regime: PreferenceRegime, lines: list, kinds: set[str]):
    gpu_lines = any(line.is_datacentre_gpu for line in lines)
    if gpu_lines and AttachmentKind.EXPORT_LICENCE not in kinds:
        out.add(
            "licence_document_missing",
            _("The case has data-centre GPUs: attach the exporter's licence (kind “%(kind)s”).")
            % {"kind": _kind_label(AttachmentKind.EXPORT_LICENCE)},
            field="attachments",
        )
    if gpu_lines and AttachmentKind.END_USER_STATEMENT not in kinds:
        out.add(
            "end_user_statement_missing",
            _(
                "Exporters of data-centre GPUs usually require an end-user statement; attach "
                "it (kind “%(kind)s”) so that customs and the authority see it."
            )
            % {"kind": _kind_label(AttachmentKind.END_USER_STATEMENT)},
            field="attachments",
        )
    required = regime.required_documents if isinstance(regime.required_documents, list) else []
    required = [kind for kind in required if isinstance(kind, str)]
    for kind in dict.fromkeys(required):
        if kind in kinds or (gpu_lines and kind == AttachmentKind.EXPORT_LICENCE):
            continue  # the licence was reported above
        out.add(
            "document_missing",
            _("The regime “%(regime)s” requires this document: attach the %(kind)s.")
            % {"regime": regime.name_en, "kind": _kind_label(kind).lower()},
            field="attachments",
        )
