"""What to build: how many records per type get a page, and for which business units.

Read from the environment when the Dagster asset runs (never at import), with run config
taking precedence, so `make run` and the launchpad can both steer it.

RA_DASHBOARD_TOP_N           pages per record type (default 200): generation is bounded
                             by this, not by the size of the CRM.
RA_DASHBOARD_BUSINESS_UNITS  empty (default): only the full dashboards; 'all': also one
                             export per business unit; 'bu1,bu2': those units only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TOP_N = 200
ALL_BUSINESS_UNITS = "all"


@dataclass(frozen=True)
class DashboardOptions:
    top_n: int = DEFAULT_TOP_N
    # () = no per-unit export; ("all",) = every unit found in systemuser; else those ids.
    business_units: tuple[str, ...] = ()

    @property
    def every_business_unit(self) -> bool:
        return self.business_units == (ALL_BUSINESS_UNITS,)


def parse_top_n(text: str | int | None, name: str = "RA_DASHBOARD_TOP_N") -> int:
    """A page count of at least 1; `name` says where the value came from in errors."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return DEFAULT_TOP_N
    try:
        value = int(str(text).strip())
    except ValueError as error:
        raise ValueError(f"{name}={text!r} is not a whole number") from error
    if value < 1:
        raise ValueError(f"{name}={text!r} must be at least 1")
    return value


def parse_business_units(text: str | None) -> tuple[str, ...]:
    """'all' -> ("all",); 'bu1, bu2,bu1' -> ("bu1", "bu2"); empty -> ()."""
    if text is None:
        return ()
    units = [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
    if any(unit.lower() == ALL_BUSINESS_UNITS for unit in units):
        return (ALL_BUSINESS_UNITS,)
    return tuple(dict.fromkeys(units))


def dashboard_options(
    top_n: int | None = None,
    business_units: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> DashboardOptions:
    """Explicit values win; otherwise the RA_DASHBOARD_* variables; otherwise the defaults."""
    env = os.environ if environ is None else environ
    return DashboardOptions(
        top_n=parse_top_n(top_n, "run config top_n (of the exports step)")
        if top_n is not None
        else parse_top_n(env.get("RA_DASHBOARD_TOP_N")),
        business_units=parse_business_units(
            business_units if business_units is not None else env.get("RA_DASHBOARD_BUSINESS_UNITS")
        ),
    )
