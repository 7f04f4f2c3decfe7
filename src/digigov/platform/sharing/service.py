"""Data sharing use cases (共享): request, review (approve, narrow, refuse), grant, revoke, serve, verify, usage.

This module is the facade every caller imports (`from digigov.platform.sharing import service as sharing`); the
use cases live in modules named for what they hold:

- `requests`: submit a request, review it (approve, narrow, refuse), the grant the final approval makes, the
  requester's list and the reviewers' inbox;
- `grants`: find the active grant (`active_grant`), compile it into the serving plan (cached by the grant's id and
  `updated_at` and the dataset's version and field grades), apply it to rows (`apply_grant`), list, look up and
  revoke grants;
- `serving`: `read`, `export` and `verify`, each through one store query for the grant, the dataset's fields and
  today's usage, counted and audited in the caller's transaction;
- `usage`: the per-minute rate, the daily quota, the usage counters and the usage report;
- `common`: channels, grade thresholds, messages and the small checks the others share.

Serving reads only through a grant; revocation and expiry take effect on the next call. Every read,
verification and decision is audited in the caller's transaction, and each read adds its calls and rows to the
grant's usage counter for the day in the same transaction (the quota reads that counter; the usage pages and the
authority's KPI read it too, so they never scan the audit log's JSON).
"""

from __future__ import annotations

from digigov.platform.sharing.common import (
    AUTHORITY_FROM,
    BEIJING,
    BULK_CHANNELS,
    MAX_TEXT,
    READ_CHANNELS,
    UNMASKED_GRADE,
    RateLimited,
    beijing_day,
    expiry_of,
    field_grade,
    seconds_to_next_day,
)
from digigov.platform.sharing.grants import (
    CompiledGrant,
    FieldSpec,
    GrantTerms,
    active_grant,
    apply_grant,
    compile_grant,
    compiled_for,
    get_grant,
    grant_of,
    grants,
    is_active,
    revoke,
)
from digigov.platform.sharing.requests import (
    decide,
    get_request,
    inbox,
    my_requests,
    submit_request,
    terms,
)
from digigov.platform.sharing.serving import (
    ExportPlan,
    ServedGrant,
    ServingState,
    SharedPage,
    export,
    read,
    serving_state,
    verify,
)
from digigov.platform.sharing.usage import UsageRow, usage

__all__ = [
    "AUTHORITY_FROM", "BEIJING", "BULK_CHANNELS", "MAX_TEXT", "READ_CHANNELS", "UNMASKED_GRADE", "CompiledGrant",
    "ExportPlan", "FieldSpec", "GrantTerms", "RateLimited", "ServedGrant", "ServingState", "SharedPage", "UsageRow",
    "active_grant", "apply_grant", "beijing_day", "compile_grant", "compiled_for", "decide", "expiry_of", "export",
    "field_grade", "get_grant", "get_request", "grant_of", "grants", "inbox", "is_active", "my_requests", "read",
    "revoke", "seconds_to_next_day", "serving_state", "submit_request", "terms", "usage", "verify",
]
