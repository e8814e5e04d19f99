"""Customs routes (document_urls); included by allocations/customs/urls.py."""

urlpatterns: list = []
