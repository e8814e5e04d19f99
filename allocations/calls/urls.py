from django.urls import path

from allocations.calls import views

app_name = "calls"
urlpatterns = [
    path("calls/<slug:slug>/", views.call_detail, name="call_detail"),
    path("staff/calls/", views.staff_call_list, name="staff_call_list"),
    path("staff/calls/new/", views.call_create, name="call_create"),
    path("staff/calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("staff/calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
    path("staff/calls/<int:pk>/unpublish/", views.call_unpublish, name="call_unpublish"),
    path("staff/resources/", views.resource_list, name="resource_list"),
    path("staff/resources/new/", views.resource_create, name="resource_create"),
    path("staff/resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path(
        "staff/resources/<int:pk>/deactivate/",
        views.resource_deactivate,
        name="resource_deactivate",
    ),
    path("staff/resources/<int:pk>/activate/", views.resource_activate, name="resource_activate"),
]
