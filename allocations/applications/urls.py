from django.urls import path

from allocations.applications.views import applications, attachments, projects, staff

app_name = "applications"
urlpatterns = [
    # Projects and teams
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/team/", projects.project_team, name="project_team"),
    path(
        "projects/<int:pk>/team/<int:member_pk>/remove/",
        projects.project_member_remove,
        name="project_member_remove",
    ),
    # Applications, for their team
    path("calls/<slug:slug>/apply/", applications.application_start, name="application_start"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/autosave/",
        applications.application_autosave,
        name="application_autosave",
    ),
    path(
        "applications/<int:pk>/submit/", applications.application_submit, name="application_submit"
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applications.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/attachments/",
        attachments.attachment_upload,
        name="attachment_upload",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        attachments.attachment_download,
        name="attachment_download",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/delete/",
        attachments.attachment_delete,
        name="attachment_delete",
    ),
    # Staff
    path("staff/applications/", staff.staff_list, name="staff_list"),
    path("staff/applications/<int:pk>/", staff.staff_detail, name="staff_detail"),
]
