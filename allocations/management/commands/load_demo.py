from django.core.management.base import BaseCommand

from allocations.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins = load_demo()
        # After the demo's transaction: its allocations are on the (dry-run) cluster now.
        from django.utils import timezone

        from allocations.customs.reference_data import load_reference_data
        from allocations.usage.services import ingest_all

        load_reference_data()
        for run in ingest_all(now=timezone.now()):
            self.stdout.write(
                f"Usage read from the demo source: {run.records} job records ({run.status})"
            )
        out = self.stdout
        out.write("")
        out.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for login in logins:
            flag = "  [TOTP]" if login.needs_totp else ""
            out.write(f"  {login.email:34} {login.role}{flag}")
        out.write("")
        out.write(
            "Staff marked [TOTP] are asked for a one-time code after the password. Their shared\n"
            f"demo secret is {DEMO_TOTP_SECRET} (add it to any authenticator app), or run\n"
            "  .venv/bin/python manage.py totp_code\n"
            "to print the current code. Mail sent by the portal: http://127.0.0.1:8000/staff/mailbox/"
        )
        out.write("Portal: http://127.0.0.1:8000/")
