from django.core.management.base import BaseCommand

from wufei.manifests.flowdoc import DOC, render


class Command(BaseCommand):
    help = "Print docs/flows.md from the flow definitions (--write to update the file)."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="write docs/flows.md")

    def handle(self, *args, write=False, **options):
        text = render()
        if write:
            DOC.write_text(text, encoding="utf-8")
            self.stdout.write(f"{DOC}")
        else:
            self.stdout.write(text, ending="")
