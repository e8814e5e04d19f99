from django.urls import path

from allocations.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("me/permissions/", views.my_permissions, name="permissions"),
    path("staff/mailbox/", views.mailbox, name="mailbox"),
    path("staff/mailbox/<int:pk>/", views.mailbox_message, name="mailbox_message"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("healthz", views.healthz, name="healthz"),
]
