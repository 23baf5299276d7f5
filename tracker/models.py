"""Import every model so the metadata (and Alembic) sees all tables."""

from .api.models import ApiToken  # noqa: F401
from .auth.models import Role, User  # noqa: F401
from .drafts import FormDraft  # noqa: F401
from .follow.models import Notification, StepWatch  # noqa: F401
from .ita.models import ItaContextScore, ItaFramework, ItaIndicator, ItaScore, ItaTool  # noqa: F401
from .line.models import LineChannel, LineLink, LineLinkNonce, LineWebhookEvent, NotificationChoice  # noqa: F401
from .notify.models import (  # noqa: F401
    NotificationRules,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    SchedulerBeat,
)
from .orgs.models import Department, Organization  # noqa: F401
from .plans import counters  # noqa: F401  (its session hooks keep PlanCounter in step)
from .plans.models import (  # noqa: F401
    Evidence,
    EvidenceKind,
    JournalEntry,
    Measure,
    MeasureResult,
    Plan,
    PlanCounter,
    PlanDueCount,
    PlanStatus,
    Step,
    StepStatus,
    Weakness,
)
from .plans.pending import PendingImport  # noqa: F401
from .plans.saved_filters import SavedFilter  # noqa: F401
from .public.models import PublishedReport  # noqa: F401
from .ratelimit import RateLimitEntry  # noqa: F401
from .reports.models import (  # noqa: F401
    AnalysisMemo,
    ReportAcknowledgement,
    ReportKind,
    ReportSubmission,
    SubmissionStatus,
)
