"""Customs routes (case_urls); included by allocations/customs/urls.py."""

urlpatterns: list = []
