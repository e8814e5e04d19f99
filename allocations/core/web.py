"""Small helpers every area's views share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect


def errors_to_messages(request, error: ValidationError) -> None:
    """Show a service's refusal as messages (for one-button forms without fields)."""
    for message in error.messages:
        messages.error(request, message)


def add_service_error(form, error: ValidationError, *, fields=None) -> None:
    """Show a service's refusal on the form: each error next to its field when the form
    has it (`fields` renames the service's keys to the form's), otherwise at the top."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = (fields or {}).get(key, key)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def htmx_partial(request, template: str, name: str) -> str:
    """The template, or one of its partials when htmx asks for a region (not when it
    restores a page from its history cache, which needs the whole page)."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{name}"
    return template


def _for_result(value, result):
    """A message or address given as it is, or as a function of what the service returned."""
    return value(result) if callable(value) else value


def save_form(request, form, act, *, success, then, also_valid=(), fields=None):
    """On a POST whose form (and `also_valid` forms) are valid, call `act(cleaned_data)`:
    its refusal goes on the form (`fields` as for add_service_error); otherwise show
    `success` and redirect to `then` (either may be a function of what `act` returned).
    None when the page is to be shown."""
    if request.method != "POST" or not form.is_valid():
        return None
    if not all(other.is_valid() for other in also_valid):
        return None
    try:
        result = act(form.cleaned_data)
    except ValidationError as error:
        add_service_error(form, error, fields=fields)
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
