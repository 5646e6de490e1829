"""Where a page lives: file and folder names for record ids and business units.

Dataverse ids are GUIDs and stay as they are; anything else (a hand-made id, a unit name)
is made safe for a file system without letting two ids share a name.
"""

from __future__ import annotations

import re
from hashlib import sha1


def safe_name(text: str) -> str:
    """A file or folder name for an id: the id itself when it is safe, else a slug plus a hash.

    "0f8fad5b-d9cb-469f-a165-70867728950e" stays as it is; "../../etc/passwd" becomes
    "etc_passwd-<12 hex digits of its SHA-1>", so no name climbs out of its folder and two
    ids that slug alike still differ.
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", text):
        return text
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60] or "id"
    return f"{slug}-{sha1(text.encode()).hexdigest()[:12]}"


def page_filename(record_id: str) -> str:
    return f"{safe_name(record_id)}.html"


def record_path(record_type: str, record_id: str) -> str:
    """Path of a record page, relative to the site root (where index.html is)."""
    return f"{record_type}/{page_filename(record_id)}"


def owner_path(owner_id: str) -> str:
    """Path of an owner's page (the manager view of one seller), relative to the site root."""
    return f"owners/{page_filename(owner_id)}"


def unit_path(business_unit_id: str) -> str:
    """Path of a business unit's page, relative to the site root.

    Not to be confused with `business_units/<unit>/`, the unit's own site (on request).
    """
    return f"units/{page_filename(business_unit_id)}"
