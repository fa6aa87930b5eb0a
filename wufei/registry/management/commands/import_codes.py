from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wufei.accounts.models import User
from wufei.core.errors import WufeiError
from wufei.registry.choices import Confidence
from wufei.registry.imports import code_list_import, read_rows


class Command(BaseCommand):
    help = (
        "导入完整的废物代码表（CSV：code,name,category[,hazard_traits,industry]）。"
        " Import a fuller waste-code list from CSV; a file with any bad row writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path)
        parser.add_argument("--user", required=True, help="the administrator doing the import")
        parser.add_argument("--list", dest="key", default="hw-codes", help="code list key")
        parser.add_argument("--list-version", dest="list_version", required=True, help="e.g. 2025")
        parser.add_argument("--name", required=True, help="e.g. 国家危险废物名录（2025年版）")
        parser.add_argument("--source", required=True, help="where the file comes from")
        parser.add_argument("--confidence", choices=Confidence.values, default=Confidence.VERIFIED)
        parser.add_argument("--valid-from", type=date.fromisoformat)
        parser.add_argument("--valid-to", type=date.fromisoformat)

    def handle(self, *args, **o):
        actor = User.objects.filter(username=o["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {o['user']!r}")
        try:
            rows = read_rows(o["csv"])
            code_list, count = code_list_import(
                actor=actor,
                key=o["key"],
                version=o["list_version"],
                name=o["name"],
                source=o["source"],
                confidence=o["confidence"],
                rows=rows,
                valid_from=o["valid_from"],
                valid_to=o["valid_to"],
            )
        except WufeiError as exc:
            for error in exc.errors:
                self.stderr.write(f"{error.field or '-'}: [{error.code}] {error.message}")
            raise CommandError("nothing was imported") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{code_list}: {count} codes loaded")
