"""Customs routes (case_urls); included by allocations/customs/urls.py (namespace customs).

Importers (owners and members of the case's organisation) use imports/cases/…; the
import desk uses imports/desk/…. Comments, serial lists, files and the declaration are
shared by both sides.
"""

from django.urls import path

from allocations.customs.views import (
    case_after_approval,
    case_equipment,
    case_files,
    case_parties,
    cases,
    desk,
)

CASE = "imports/cases/<int:pk>/"

urlpatterns = [
    path("imports/cases/", cases.case_list, name="case_list"),
    path("imports/cases/new/", cases.case_create, name="case_create"),
    path(CASE, cases.case_detail, name="case_detail"),
    path(f"{CASE}edit/", cases.case_edit, name="case_edit"),
    path(f"{CASE}delete/", cases.case_delete, name="case_delete"),
    path(f"{CASE}parties/new/", case_parties.party_add, name="party_add"),
    path(f"{CASE}parties/<int:party_pk>/", case_parties.party_edit, name="party_edit"),
    path(f"{CASE}parties/<int:party_pk>/remove/", case_parties.party_remove, name="party_remove"),
    path(f"{CASE}lines/new/", case_equipment.line_add, name="line_add"),
    path(f"{CASE}lines/<int:line_pk>/", case_equipment.line_edit, name="line_edit"),
    path(f"{CASE}lines/<int:line_pk>/remove/", case_equipment.line_remove, name="line_remove"),
    path(f"{CASE}lines/<int:line_pk>/serials/", case_equipment.line_serials, name="line_serials"),
    path(
        f"{CASE}lines/<int:line_pk>/serials/clear/",
        case_equipment.serials_clear,
        name="serials_clear",
    ),
    path(f"{CASE}serials/", case_equipment.serial_import, name="serial_import"),
    path(
        f"{CASE}serials/<int:serial_pk>/remove/", case_equipment.serial_remove, name="serial_remove"
    ),
    path(f"{CASE}files/new/", case_files.attachment_upload, name="attachment_upload"),
    path(
        f"{CASE}files/<int:attachment_pk>/",
        case_files.attachment_download,
        name="attachment_download",
    ),
    path(
        f"{CASE}files/<int:attachment_pk>/remove/",
        case_files.attachment_remove,
        name="attachment_remove",
    ),
    path(f"{CASE}comments/", cases.comment_add, name="comment_add"),
    path(f"{CASE}submit/", cases.case_submit, name="case_submit"),
    path(f"{CASE}declaration/", case_after_approval.case_declare, name="case_declare"),
    path(f"{CASE}release/", case_after_approval.case_release, name="case_release"),
    path(f"{CASE}reports/new/", case_after_approval.report_create, name="report_create"),
    path("imports/desk/", desk.desk_queue, name="desk_queue"),
    path("imports/desk/cases/<int:pk>/", desk.desk_case, name="desk_case"),
    path("imports/desk/cases/<int:pk>/take/", desk.desk_take, name="desk_take"),
    path(
        "imports/desk/cases/<int:pk>/request-changes/",
        desk.desk_request_changes,
        name="desk_request_changes",
    ),
    path("imports/desk/cases/<int:pk>/approve/", desk.desk_approve, name="desk_approve"),
    path("imports/desk/cases/<int:pk>/reject/", desk.desk_reject, name="desk_reject"),
    path("imports/desk/cases/<int:pk>/close/", desk.desk_close, name="desk_close"),
]
