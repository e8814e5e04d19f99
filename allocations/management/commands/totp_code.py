import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from allocations.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code for a secret (default: the demo staff secret)."

    def add_arguments(self, parser):
        parser.add_argument("--secret", default=DEMO_TOTP_SECRET)

    def handle(self, *args, **options):
        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(options["secret"], counter))
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code}  (valid for about {remaining} more seconds)")
