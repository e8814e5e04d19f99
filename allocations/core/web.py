"""Small helpers every area's views share."""

from django.contrib import messages
from django.core.exceptions import ValidationError


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
