"""Duty-free import paperwork: regimes (import desk), cases (importers and the desk),
documents and the public verification of confirmations."""

from django.urls import include, path

app_name = "customs"
urlpatterns = [
    path("", include("allocations.customs.regime_urls")),
    path("", include("allocations.customs.case_urls")),
    path("", include("allocations.customs.document_urls")),
]
