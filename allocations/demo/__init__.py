"""Demo data for `make run`: staff of every role, applicants, an H200 resource, two calls
and applications in every stage of the review workflow, driven through the real services
(so audit timelines, notifications, letters and allocations are genuine). Idempotent: a
second run changes nothing. Lives above the domain packages because it uses all of them.

Demo staff are enrolled in TOTP with one shared, printed secret so a newcomer can sign in;
`python manage.py totp_code` prints the current code. The management command `load_demo`
then loads the customs reference data and a first usage read.
"""

from django.db import transaction
from django.utils import timezone

from allocations.demo.billing import load_billing
from allocations.demo.calls import load_applications, load_calls, load_resource
from allocations.demo.people import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    DemoLogin,
    load_applicants,
    load_staff,
    logins,
)
from allocations.demo.review import load_review_workflow

__all__ = ["DEMO_PASSWORD", "DEMO_TOTP_SECRET", "DemoLogin", "load_demo"]


@transaction.atomic
def load_demo(*, now=None) -> list[DemoLogin]:
    now = now or timezone.now()
    staff = load_staff()
    applicants, organisations = load_applicants()
    h200 = load_resource()
    calls = load_calls(h200=h200, now=now)
    load_applications(
        applicants=applicants, organisations=organisations, calls=calls, h200=h200, now=now
    )
    founder, researcher, engineer = applicants
    load_review_workflow(
        staff=staff, founder=founder, researcher=researcher, engineer=engineer, now=now
    )
    load_billing(h200=h200)
    return logins()
