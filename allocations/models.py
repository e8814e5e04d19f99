"""Re-exports every model of the app's domain packages so Django finds them."""

from allocations.accounts.models import (  # noqa: F401
    Invitation,
    Membership,
    Organisation,
    RoleGrant,
    User,
)
from allocations.applications.models import (  # noqa: F401
    Application,
    Attachment,
    Project,
    ProjectMember,
    ResourceRequest,
)
from allocations.calls.models import Call, CallResource, Resource, RubricCriterion  # noqa: F401
from allocations.core.models import AuditEvent, MailboxMessage  # noqa: F401
