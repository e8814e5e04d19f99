"""What the case pages of both sides share: a service's refusal shown on the form or as
messages, the success message and redirect after it, and the addresses of a case's pages.

Pages with a form call save_form, one-button posts call run_action; either way the service
has the last word on who may act and in which state."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.core.web import add_service_error, errors_to_messages
from allocations.customs import case_selectors as selectors
from allocations.customs.case_access import EDITABLE_STATES

READ_ONLY = _("This case has been submitted; it can no longer be changed.")


def case_url(case, side: str) -> str:
    name = "customs:desk_case" if side == selectors.DESK else "customs:case_detail"
    return reverse(name, args=[case.pk])


def case_section_url(pk: int, section: str) -> str:
    """The importer's case page, scrolled to one of its sections (parties, lines, …)."""
    return f"{reverse('customs:case_detail', args=[pk])}#{section}"


def editable_or_back(request, case):
    """None when the importer may edit the case, else a redirect to it with a message."""
    if case.state in EDITABLE_STATES:
        return None
    messages.error(request, READ_ONLY)
    return redirect("customs:case_detail", case.pk)


def _for_result(value, result):
    """A message or address given as it is, or as a function of what the service returned."""
    return value(result) if callable(value) else value


def save_form(request, form, act, *, success, then, also_valid=()):
    """On a POST whose form (and `also_valid` forms) are valid, call `act(cleaned_data)`:
    its refusal goes on the form; otherwise show `success` and redirect to `then` (either
    may be a function of what `act` returned). None when the page is to be shown."""
    if request.method != "POST" or not form.is_valid():
        return None
    if not all(other.is_valid() for other in also_valid):
        return None
    try:
        result = act(form.cleaned_data)
    except ValidationError as error:
        add_service_error(form, error)
        return None
    messages.success(request, _for_result(success, result))
    return redirect(_for_result(then, result))


def run_action(request, act, *, success) -> bool:
    """A one-button post: call `act()`; its refusal becomes error messages, otherwise
    `success` (or a function of what `act` returned) is shown. True when it succeeded."""
    try:
        result = act()
    except ValidationError as error:
        errors_to_messages(request, error)
        return False
    messages.success(request, _for_result(success, result))
    return True
