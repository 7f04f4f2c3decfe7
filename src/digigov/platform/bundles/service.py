"""一件事 (bundles): several items from several departments offered as one service, as use cases.

Designing (staff of a data authority, for their region):

- `save_definition` keeps a bundle: its items from the catalogue, region, lead department kind, life-cycle stage,
  steps, trips and time limit; `merged` computes its merged form (一表申请), merged materials (一套材料) and savings
  with the access the handling departments have now (see `merge` and `access`); `publish` puts it on the portal
  once every handling department exists; `withdraw` takes it off.

Applying (a citizen online, or a window clerk for them):

- `identify` checks the resident ID numbers of the people the application is about and prefills what the
  departments hold (see `prefill`); `apply` validates the merged form and the materials, records the application
  with a receipt code and a token for its status page, starts the bundle's BPMN process and opens one case per item
  in the handling department's inbox (the process's parallel fan-out).

Handling (each department, in parallel):

- `decide_item` is a department's answer on its item (准予/不予 with a note and the result's number); it answers
  the case through the case engine, which closes it, and completes the item's instance of the process. An answer
  given on the generic case page reaches the process through the bus consumer `on_case_event` (`case.respond`;
  `case.accept` and `case.return` follow progress); `sync` reconciles an application with its cases on reading, so
  a missed event is never lost. When the last item finishes, the process joins, combines the results and the
  application is completed (`bundle.completed` on the bus).
- `rate` is the applicant's 好差评 (1-5 stars and a comment) on the completed bundle; it ends the process.

Every decision and every read of personal data is audited in the caller's transaction.

This module is the facade callers import (`from digigov.platform.bundles import service`); the use cases live in
modules named for what they hold: `design`, `applying`, `handling`, `tracking` (the applicant's status page and
rating), `reading` (staff), and `common` (limits, messages, small helpers).
"""

from __future__ import annotations

from digigov.platform.bundles.applying import Identified, Upload, apply, display_value, identify
from digigov.platform.bundles.common import MAX_FILES, MAX_MATERIAL_BYTES, RESERVED, mask_id
from digigov.platform.bundles.design import (
    get_definition,
    install_shipped,
    list_definitions,
    merged,
    missing_departments,
    publish,
    published,
    save_definition,
    withdraw,
)
from digigov.platform.bundles.handling import (
    combined_note,
    decide_item,
    on_case_event,
    register_consumers,
    reroute_item,
    sync,
)
from digigov.platform.bundles.reading import get_application, list_applications, material, visible_items, work
from digigov.platform.bundles.tracking import RUN_PROGRESS, by_token, public_view, rate

__all__ = [
    "MAX_FILES", "MAX_MATERIAL_BYTES", "RESERVED", "RUN_PROGRESS", "Identified", "Upload", "apply", "by_token",
    "combined_note", "decide_item", "display_value", "get_application", "get_definition", "identify",
    "install_shipped", "list_applications", "list_definitions", "mask_id", "material", "merged",
    "missing_departments", "on_case_event", "public_view", "publish", "published", "rate", "register_consumers",
    "reroute_item", "save_definition", "sync", "visible_items", "withdraw", "work",
]
