"""Every read of the reviews area, importable from one module.

reviewer_selectors: conflicts, the reviewer's workspace, what applicants and the panel see
(`applicant_reviews`, `panel_comments`); staff_selectors: pool, suggestions, queues.
"""

from allocations.reviews.reviewer_selectors import (  # noqa: F401
    applicant_reviews,
    application_for_reply,
    application_for_reviewer,
    assignment_for_reviewer,
    attachment_for_reviewer,
    declaration_of,
    detected_conflict,
    my_assignments,
    open_load,
    panel_comments,
    review_of,
    reviewer_label,
    reviewer_may_read,
    reviews_visible_to_team,
    team_for_declaration,
)
from allocations.reviews.staff_selectors import (  # noqa: F401
    PAGE_SIZE,
    REVIEW_PHASE_STATES,
    Suggestion,
    application_for_assessment,
    application_for_manager,
    assessment_queue,
    assignment_for_staff,
    calls_for_filter,
    overdue_assignments,
    own_profile,
    pool_choices,
    reviewer_pool,
    reviewer_profile,
    staff_review_overview,
    suggestions,
)
