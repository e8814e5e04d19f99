"""Landing page, dashboard, 'what may I do', development mailbox, health check."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from allocations.accounts.models import Role
from allocations.core import selectors, services
from allocations.core.models import MailboxMessage
from allocations.core.permissions import (
    ROLE_CAPABILITIES,
    Capability,
    capabilities_of,
    capability_required,
    roles_of,
)


def home(request):
    return render(request, "core/home.html", {"calls": selectors.open_calls(now=timezone.now())})


@login_required
def dashboard(request):
    return render(request, "core/dashboard.html", selectors.dashboard_for(user=request.user))


@login_required
def my_permissions(request):
    mine = capabilities_of(request.user)
    user_roles = roles_of(request.user)
    table = [
        {
            "role": label,
            "held": value in user_roles,
            "capabilities": [Capability(c).label for c in sorted(ROLE_CAPABILITIES[value])],
        }
        for value, label in Role.choices
    ]
    return render(
        request,
        "core/permissions.html",
        {
            "my_capabilities": [Capability(c).label for c in sorted(mine)],
            "role_table": table,
        },
    )


@capability_required(Capability.READ_MAILBOX)
def mailbox(request):
    return render(request, "core/mailbox.html", {"messages_list": selectors.mailbox_messages()})


@capability_required(Capability.READ_MAILBOX)
def mailbox_message(request, pk: int):
    message = get_object_or_404(MailboxMessage, pk=pk)
    return render(request, "core/mailbox_message.html", {"message": message})


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def notifications(request):
    page = Paginator(selectors.notifications_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    raw_id = request.POST.get("notification")
    notification_id = int(raw_id) if raw_id and raw_id.isdigit() else None
    services.mark_notifications_read(user=request.user, notification_id=notification_id)
    return redirect("core:notifications")
