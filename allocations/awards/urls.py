from django.urls import path

from allocations.awards.views import allocations, changes, cluster, panel, screening, sync

app_name = "awards"
urlpatterns = [
    # Deciders (call managers): screening, panel, decisions
    path("staff/awards/", screening.call_list, name="call_list"),
    path(
        "staff/awards/calls/<int:pk>/screening/",
        screening.screening_queue,
        name="screening_queue",
    ),
    path("staff/awards/applications/<int:pk>/screen/", screening.screen, name="screen"),
    path("staff/awards/calls/<int:pk>/panel/", panel.panel, name="panel"),
    path(
        "staff/awards/applications/<int:pk>/panel-entry/",
        panel.panel_entry,
        name="panel_entry",
    ),
    path("staff/awards/applications/<int:pk>/decide/", panel.decide, name="decide"),
    path("staff/awards/calls/<int:pk>/decisions/", panel.decision_list, name="decision_list"),
    # Allocations
    path("staff/allocations/", allocations.staff_allocation_list, name="staff_allocation_list"),
    path(
        "staff/allocations/<int:pk>/close/", allocations.allocation_close, name="allocation_close"
    ),
    path(
        "staff/allocations/<int:pk>/suspend/",
        cluster.allocation_suspend,
        name="allocation_suspend",
    ),
    path("staff/allocations/<int:pk>/resume/", cluster.allocation_resume, name="allocation_resume"),
    path("allocations/<int:pk>/members/add/", cluster.member_add, name="member_add"),
    path(
        "allocations/<int:pk>/members/<int:member_pk>/remove/",
        cluster.member_remove,
        name="member_remove",
    ),
    # Scheduler sync health
    path("staff/scheduler/", sync.sync_health, name="sync_health"),
    path("staff/scheduler/accounts/<int:pk>/retry/", sync.sync_retry, name="sync_retry"),
    path("staff/scheduler/reconcile/", sync.reconcile_start, name="reconcile_start"),
    path("staff/scheduler/reconcile/<int:pk>/", sync.reconcile_run, name="reconcile_run"),
    path("allocations/", allocations.allocation_list, name="allocation_list"),
    path("allocations/<int:pk>/", allocations.allocation_detail, name="allocation_detail"),
    path(
        "allocations/<int:pk>/decline/",
        allocations.allocation_decline,
        name="allocation_decline",
    ),
    path(
        "applications/<int:pk>/decision-letter/",
        allocations.letter_download,
        name="letter_download",
    ),
    # Extensions and supplements
    path("allocations/<int:pk>/changes/new/", changes.change_request, name="change_request"),
    path(
        "allocations/<int:pk>/changes/<int:change_pk>/withdraw/",
        changes.change_withdraw,
        name="change_withdraw",
    ),
    path("staff/allocations/changes/", changes.staff_change_list, name="staff_change_list"),
    path(
        "staff/allocations/changes/<int:change_pk>/",
        changes.change_decide,
        name="change_decide",
    ),
]
