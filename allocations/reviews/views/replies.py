"""The right to reply, on the applicant's side: anonymised reviews and the reply form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.applications.models import ApplicationState
from allocations.core.permissions import Capability, capability_required
from allocations.reviews import selectors, services
from allocations.reviews.forms import ReplyForm
from allocations.reviews.reply_services import REPLYING_ROLES


def _reply_page(request, application, *, form=None):
    visible = selectors.reviews_visible_to_team(application)
    window = application.reply_window
    now = timezone.now()
    can_reply = (
        application.state == ApplicationState.REPLY
        and application.my_role in REPLYING_ROLES
        and window is not None
        and window.submitted_at is None
        and now <= window.due_at
    )
    context = {
        "application": application,
        "visible": visible,
        "reviews": selectors.applicant_reviews(application=application) if visible else [],
        "assessment": application.assessment if visible else None,
        "window": window,
        "can_reply": can_reply,
        "form": form or ReplyForm(),
    }
    return render(request, "reviews/reply/page.html", context)


@require_GET
@capability_required(Capability.APPLY)
def reply(request, pk: int):
    return _reply_page(request, selectors.application_for_reply(user=request.user, pk=pk))


@require_POST
@capability_required(Capability.APPLY)
def reply_submit(request, pk: int):
    application = selectors.application_for_reply(user=request.user, pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.submit_reply(
                actor=request.user,
                application_id=pk,
                text=form.cleaned_data["text"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your reply was sent. The application goes to the panel."))
            return redirect("reviews:reply", pk)
    return _reply_page(request, application, form=form)
