from django.urls import path

from allocations.reviews.views import assessments, manage, pool, replies, workspace

app_name = "reviews"
urlpatterns = [
    # Reviewers
    path("reviews/", workspace.my_reviews, name="my_reviews"),
    path("reviews/expertise/", pool.my_expertise, name="my_expertise"),
    path("reviews/<int:pk>/", workspace.assignment, name="assignment"),
    path("reviews/<int:pk>/accept/", workspace.accept, name="accept"),
    path("reviews/<int:pk>/decline/", workspace.decline, name="decline"),
    path("reviews/<int:pk>/declare/", workspace.declare, name="declare"),
    path("reviews/<int:pk>/review/", workspace.review_save, name="review_save"),
    path(
        "reviews/<int:pk>/attachments/<int:attachment_pk>/",
        workspace.attachment,
        name="attachment",
    ),
    # Applicants: right to reply
    path("applications/<int:pk>/reviews/", replies.reply, name="reply"),
    path("applications/<int:pk>/reviews/reply/", replies.reply_submit, name="reply_submit"),
    # Technical assessors
    path("staff/assessments/", assessments.assessment_queue, name="assessment_queue"),
    path("staff/applications/<int:pk>/assessment/", assessments.assessment, name="assessment"),
    # Call managers
    path("staff/reviewers/", pool.pool, name="pool"),
    path("staff/reviewers/<int:pk>/", pool.pool_edit, name="pool_edit"),
    path("staff/reviews/", manage.staff_overview, name="staff_overview"),
    path("staff/applications/<int:pk>/reviews/", manage.manage, name="manage"),
    path("staff/applications/<int:pk>/reviews/assign/", manage.assign, name="assign"),
    path(
        "staff/applications/<int:pk>/reviews/close/",
        manage.close_review_phase,
        name="close_review_phase",
    ),
    path("staff/applications/<int:pk>/reply/close/", manage.close_reply, name="close_reply"),
    path("staff/assignments/<int:pk>/withdraw/", manage.withdraw, name="withdraw"),
]
