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
from allocations.awards.models import (  # noqa: F401
    Allocation,
    AllocationMember,
    ChangeRequest,
    Decision,
    DecisionLine,
    PanelEntry,
    Screening,
)
from allocations.billing.models import (  # noqa: F401
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    NumberSequence,
    SellerProfile,
    Tariff,
    TrackBilling,
    VatRate,
)
from allocations.calls.models import Call, CallResource, Resource, RubricCriterion  # noqa: F401
from allocations.core.models import AuditEvent, MailboxMessage, Notification  # noqa: F401
from allocations.customs.models import (  # noqa: F401
    CaseAttachment,
    CaseComment,
    CaseDocument,
    CaseParty,
    Confirmation,
    EquipmentLine,
    ImportCase,
    ImportTaxRate,
    PreferenceRegime,
    RegimeGoodsItem,
    SerialNumber,
    UseReport,
)
from allocations.reviews.models import (  # noqa: F401
    ApplicantReply,
    ConflictDeclaration,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewScore,
    TechnicalAssessment,
)
from allocations.scheduler.models import (  # noqa: F401
    ReconcileRun,
    SchedulerAccount,
    SchedulerOperation,
)
from allocations.usage.models import (  # noqa: F401
    IngestRun,
    JobDay,
    JobRecord,
    UsageAlert,
    UsageDaily,
)
