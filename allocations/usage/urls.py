"""Usage dashboards for teams and staff."""

from django.urls import path

from allocations.usage import views

app_name = "usage"
urlpatterns = [
    path("allocations/<int:pk>/usage/", views.allocation_usage, name="allocation_usage"),
    path("staff/usage/", views.centre_usage, name="centre_usage"),
]
