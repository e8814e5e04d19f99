"""Development e-mail: print to the console and keep a copy for the staff mailbox page."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ConsoleAndMailboxBackend(ConsoleBackend):
    def send_messages(self, email_messages):
        from allocations.core.models import MailboxMessage

        sent = super().send_messages(email_messages)
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            MailboxMessage.objects.create(
                to=", ".join(message.to),
                subject=message.subject[:255],
                body=message.body,
                html_body=html,
            )
        return sent


class MailboxOnlyBackend(ConsoleAndMailboxBackend):
    """Keeps the copy without printing (used by background workers in tests)."""

    def write_message(self, message):
        return None
