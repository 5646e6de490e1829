"""`python -m orchestration.privacy erase PERSON` and `... prune-exports` (make erase).

Settings come from the RA_* variables, as for `make run`. Prints the audit line (no
personal data) or the export sets removed; exits 2 on a bad argument or setting.
"""

from __future__ import annotations

import argparse
import json
import sys

from orchestration.privacy.erase import erase_person, prune_exports
from orchestration.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.privacy")
    commands = parser.add_subparsers(dest="command", required=True)
    erase = commands.add_parser("erase", help="erase a person (id or e-mail address)")
    erase.add_argument("person")
    commands.add_parser("prune-exports", help="remove every export set but the published one")
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if arguments.command == "erase":
            erasure = erase_person(settings, arguments.person)
            print(json.dumps(erasure.audit_line, sort_keys=True))
        else:
            for path in prune_exports(settings.export_dir):
                print(f"removed export set {path.name}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
