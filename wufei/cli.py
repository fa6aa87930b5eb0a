"""The ``wufei`` console script: Django's manage.py plus Wufei's own commands.

Command names may be written with hyphens (``wufei verify-ledger``) or underscores.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # `wufei load-reference` runs load_reference
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
