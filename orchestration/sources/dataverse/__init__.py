"""Extract contract tables from a Dynamics 365 / Dataverse organisation over the Web API.

One module per concern; this package re-exports what the extract step and the tests use
(`from orchestration.sources import dataverse; dataverse.extract_table(...)`):

- `client`: the HTTP session: GET with retries (`Retry-After`, bounded), paging through
  `@odata.nextLink`, links confined to the organisation; why it is not urllib3's `Retry`.
- `tokens`: bearer tokens (one handed in, or msal client credentials).
- `redaction`, `errors`: every text from the network passes through `Redactor`; error
  texts that name table, request and HTTP answer without quoting a secret.
- `schema`: contract columns <-> Web API properties (lookups, their logical-name
  annotations), one entity as a contract row of text.
- `spool`: pages to Parquet while they arrive (the warehouse stays unlocked meanwhile).
- `merge`: the SQL that merges a delta round (changed rows, `$deletedEntity` keys) into
  the rows raw keeps.
- `load`: loading a spool into raw with `load_raw_table`, storing the delta links; the
  `DataverseExtract` summary and the `MODE_*` names.
- `extract`: `extract_table`, full or delta round of one table.
- `parties`: `activityparty`, which has no change tracking: parties re-read per changed
  activity.
"""

from orchestration.sources.dataverse.client import (
    API_VERSION,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PAGE_SIZE,
    MAX_RETRY_WAIT_SECONDS,
    RETRY_STATUSES,
    DataverseClient,
    service_root,
)
from orchestration.sources.dataverse.errors import DataverseError, DeltaLinkExpired
from orchestration.sources.dataverse.extract import extract_table
from orchestration.sources.dataverse.load import (
    MODE_EXPIRED,
    MODE_FULL,
    MODE_INCREMENTAL,
    MODE_UNTRACKED,
    SOURCE_PREFIX,
    DataverseExtract,
)
from orchestration.sources.dataverse.parties import ACTIVITY_ENTITY_SETS, PARTY_FILTER_BATCH
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.schema import (
    ENTITY_SETS,
    ENTITY_SPECS,
    LOOKUP_ANNOTATION,
    LOOKUP_COLUMNS,
    LOOKUP_TYPE_COLUMNS,
    EntitySpec,
    Field,
    entry_values,
)
from orchestration.sources.dataverse.tokens import MsalToken, StaticToken, TokenProvider

__all__ = [
    "ACTIVITY_ENTITY_SETS",
    "API_VERSION",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_PAGE_SIZE",
    "ENTITY_SETS",
    "ENTITY_SPECS",
    "LOOKUP_ANNOTATION",
    "LOOKUP_COLUMNS",
    "LOOKUP_TYPE_COLUMNS",
    "MAX_RETRY_WAIT_SECONDS",
    "MODE_EXPIRED",
    "MODE_FULL",
    "MODE_INCREMENTAL",
    "MODE_UNTRACKED",
    "PARTY_FILTER_BATCH",
    "RETRY_STATUSES",
    "SOURCE_PREFIX",
    "DataverseClient",
    "DataverseError",
    "DataverseExtract",
    "DeltaLinkExpired",
    "EntitySpec",
    "Field",
    "MsalToken",
    "Redactor",
    "StaticToken",
    "TokenProvider",
    "entry_values",
    "extract_table",
    "service_root",
]
