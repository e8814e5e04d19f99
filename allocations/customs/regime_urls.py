"""Customs routes (regime_urls); included by allocations/customs/urls.py."""

urlpatterns: list = []
