"""Routes of every domain area, each in its own namespace."""

from django.urls import include, path

urlpatterns = [
    path("", include("allocations.core.urls")),
    path("", include("allocations.accounts.urls")),
    path("", include("allocations.calls.urls")),
    path("", include("allocations.applications.urls")),
    path("", include("allocations.awards.urls")),
    path("", include("allocations.reviews.urls")),
    path("", include("allocations.usage.urls")),
    path("", include("allocations.billing.urls")),
    path("", include("allocations.customs.urls")),
]
