from django.urls import path

from allocations.accounts.views import invitations, organisations, profile, staff

app_name = "accounts"
urlpatterns = [
    path("me/cluster-username/", profile.cluster_username, name="cluster_username"),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/leave/",
        organisations.organisation_leave,
        name="organisation_leave",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/role/",
        organisations.member_role,
        name="member_role",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/remove/",
        organisations.member_remove,
        name="member_remove",
    ),
    path(
        "organisations/<int:pk>/invitations/new/",
        invitations.invitation_create,
        name="invitation_create",
    ),
    path(
        "organisations/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("staff/users/", staff.staff_user_list, name="staff_user_list"),
    path("staff/users/<int:pk>/", staff.staff_user_detail, name="staff_user_detail"),
    path("staff/users/<int:pk>/roles/grant/", staff.staff_role_grant, name="staff_role_grant"),
    path(
        "staff/users/<int:pk>/roles/<str:role>/revoke/",
        staff.staff_role_revoke,
        name="staff_role_revoke",
    ),
]
