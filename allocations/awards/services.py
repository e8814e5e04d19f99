"""Every state change of the awards area, in one import: `from allocations.awards import services`.

The functions live in screening_services, panel_services, decision_services,
allocation_services, lifecycle_services, member_services and letter_services.
"""

from allocations.awards.allocation_services import (  # noqa: F401
    activate_allocation,
    close_allocation,
    decline_allocation,
)
from allocations.awards.change_services import (  # noqa: F401
    decide_change,
    request_change,
    withdraw_change,
)
from allocations.awards.decision_services import decide, offer_freed_capacity  # noqa: F401
from allocations.awards.letter_services import (  # noqa: F401
    email_decision_letter,
    issue_decision_letter,
)
from allocations.awards.lifecycle_services import (  # noqa: F401
    expire_allocations,
    resume_allocation,
    suspend_allocation,
)
from allocations.awards.member_services import (  # noqa: F401
    add_allocation_member,
    remove_allocation_member,
)
from allocations.awards.panel_services import update_panel_entry  # noqa: F401
from allocations.awards.screening_services import screen_application  # noqa: F401
