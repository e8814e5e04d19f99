"""Every state change of the reviews area, importable from one module.

The work is split by sub-area: assessment_services (technical assessment), pool_services
(reviewer pool), assignment_services (assign, accept, decline, conflicts), review_services
(drafts and submission), phase_services (end of peer review), reply_services (right to
reply) and reminder_services (deadlines).
"""

from allocations.reviews.assessment_services import save_assessment  # noqa: F401
from allocations.reviews.assignment_services import (  # noqa: F401
    accept_assignment,
    assign_reviewer,
    declare_conflicts,
    decline_assignment,
    withdraw_assignment,
)
from allocations.reviews.phase_services import close_review_phase  # noqa: F401
from allocations.reviews.pool_services import (  # noqa: F401
    add_to_pool,
    update_own_expertise,
    update_reviewer,
)
from allocations.reviews.reminder_services import send_review_reminders  # noqa: F401
from allocations.reviews.reply_services import (  # noqa: F401
    close_expired_replies,
    close_reply_window,
    submit_reply,
)
from allocations.reviews.review_services import save_review  # noqa: F401
