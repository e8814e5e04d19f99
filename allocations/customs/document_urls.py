"""Customs routes (document_urls); included by allocations/customs/urls.py (namespace customs).

- imports/documents/<pk>/: a stored document (the case's importers and the import desk).
- imports/cases/<case_pk>/annex.pdf|.xlsx: the annex rendered now (same people).
- imports/desk/cases/<case_pk>/confirmation/revoke/: the desk revokes a confirmation.
- verify/ and verify/<code>/: the public verification of confirmations (no sign-in).
"""

from django.urls import path

from allocations.customs.views import documents, verify

urlpatterns = [
    path("imports/documents/<int:pk>/", documents.document_download, name="document_download"),
    path("imports/cases/<int:case_pk>/annex.pdf", documents.annex_pdf, name="annex_pdf"),
    path("imports/cases/<int:case_pk>/annex.xlsx", documents.annex_xlsx, name="annex_xlsx"),
    path(
        "imports/desk/cases/<int:case_pk>/confirmation/revoke/",
        documents.confirmation_revoke,
        name="confirmation_revoke",
    ),
    path("verify/", verify.verify_form, name="verify_form"),
    path("verify/<str:code>/", verify.verify_code, name="verify_code"),
]
