"""What a run keeps out of raw: the privacy policy read from the run's settings.

Three inputs decide who is excluded (docs/privacy.md):
- Dataverse's GDPR opt-out flag `msdyn_gdproptout` on contact and lead rows (an optional
  column: when the source lacks it, nobody is opted out this way);
- RA_PRIVACY_EXCLUSIONS, a CSV file with a `person` column (a contact, lead or systemuser
  id, or an e-mail address) and any other columns (a `reason`, say), ignored;
- the erasure register (register.py): salted hashes of everyone `make erase` removed.
Retention (RA_ACTIVITY_RETENTION_DAYS) drops activities older than the as-of instant
minus that many days.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from orchestration.privacy.register import SALT_FILE, ErasureRegister, normalize_person

OPT_OUT_COLUMN = "msdyn_gdproptout"

# Consumer mail providers (RA_PERSONAL_MAIL_DOMAINS replaces the list): an address there
# that matched no CRM record is a private person's; it is emptied in raw.
DEFAULT_PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "gmail.com", "gmx.com", "gmx.de", "googlemail.com", "hotmail.com",
        "hotmail.se", "icloud.com", "live.com", "live.se", "me.com", "msn.com",
        "outlook.com", "proton.me", "protonmail.com", "yahoo.com", "yahoo.se",
    }
)  # fmt: skip
EXCLUSIONS_COLUMN = "person"


@dataclass(frozen=True)
class PrivacyPolicy:
    """Who and what the raw filter removes; `salt` names pseudonyms and register hashes."""

    salt: str
    listed: frozenset[str] = frozenset()  # normalised ids and addresses (exclusions file)
    erased: frozenset[str] = frozenset()  # register hashes
    retention_cutoff: datetime | None = None  # activities before it are dropped
    personal_domains: frozenset[str] = frozenset()  # unresolved addresses there are emptied

    @property
    def lists_anyone(self) -> bool:
        return bool(self.listed or self.erased)


def read_exclusions(path: Path) -> frozenset[str]:
    """The normalised `person` values of an exclusions CSV (UTF-8, header row).

    Raises ValueError naming the file (and row) when it cannot be read, lacks the `person`
    column, or a row's person is empty.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip().lower() for name in reader.fieldnames or []]
            if EXCLUSIONS_COLUMN not in columns:
                raise ValueError(
                    f"RA_PRIVACY_EXCLUSIONS file {path} has no '{EXCLUSIONS_COLUMN}' column "
                    f"(its header is {', '.join(columns) or 'empty'}): give one id or e-mail "
                    "address a row under a 'person' header"
                )
            field = reader.fieldnames[columns.index(EXCLUSIONS_COLUMN)]
            values = []
            for row_number, row in enumerate(reader, start=2):
                value = (row.get(field) or "").strip()
                if not value:
                    raise ValueError(
                        f"RA_PRIVACY_EXCLUSIONS file {path}, row {row_number}, column "
                        f"'{EXCLUSIONS_COLUMN}' is empty: give an id or an e-mail address, "
                        "or delete the row"
                    )
                values.append(normalize_person(value))
    except OSError as error:
        raise ValueError(
            f"RA_PRIVACY_EXCLUSIONS file {path} cannot be read ({error.strerror}): "
            "fix the path or unset the variable"
        ) from error
    return frozenset(values)


def privacy_policy(
    privacy_dir: Path,
    exclusions: Path | None,
    retention_days: int | None,
    as_of: datetime,
    personal_domains: frozenset[str] = DEFAULT_PERSONAL_MAIL_DOMAINS,
) -> PrivacyPolicy:
    """The policy of one run.

    The register is opened (its salt made on first use) only when someone is listed or the
    register exists: a run without exclusions or erasures writes no file.
    """
    listed = read_exclusions(exclusions) if exclusions is not None else frozenset()
    if listed or (privacy_dir / SALT_FILE).exists():
        register = ErasureRegister.open(privacy_dir)
        salt, erased = register.salt, register.hashes()
    else:
        salt, erased = "", frozenset()
    return PrivacyPolicy(
        salt=salt,
        listed=listed,
        erased=erased,
        retention_cutoff=as_of - timedelta(days=retention_days)
        if retention_days is not None
        else None,
        personal_domains=personal_domains,
    )
