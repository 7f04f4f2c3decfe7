"""Entity linkage (一人一档 / 一企一档): link every department's records about one person or enterprise into one
file, keep each link's evidence, let a steward confirm or split, and show a file as the reader's grants allow.

    link(session, actor, kind=None, full=True)      exact keys, then Splink, then the stewards' decisions
    link_records(session, actor, dataset, records)  incremental: new records into the existing files
    decide(session, actor, ...)                     confirm / split, applied now and on every re-link
    file_view(session, actor, kind, file_id)        the file page: golden record and the visible sections
    find(session, actor, text)                      files by ID, USCC or name

The links and files are warehouse tables (see `linker`); the sources and decisions are in the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.errors import InvalidInput, NotFound
from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.entities import incremental, linker
from digigov.platform.entities import normalize as nz
from digigov.platform.entities.mentions import first
from digigov.platform.entities.model import DECISIONS, KINDS, EntityDecision
from digigov.platform.entities.sources import ATTRIBUTES, KEY_ATTRIBUTE, ensure_defaults, register_source, sources
from digigov.platform.entities.views import FileView, build_view
from digigov.platform.warehouse.service import masking_key

__all__ = ["KINDS", "FileView", "LinkResult", "decide", "file_view", "find", "link", "link_records",
           "register_source", "resolve"]

LinkResult = linker.LinkResult
Progress = Callable[[str, int, int], None]


def _decisions(session: Session, kind: str) -> list[linker.Decision]:
    rows = session.scalars(select(EntityDecision).where(EntityDecision.kind == kind, EntityDecision.active.is_(True))
                           .order_by(EntityDecision.id))
    return [linker.Decision(r.action, r.fingerprint, r.file_id) for r in rows]


def _kinds(kind: str | None) -> Sequence[str]:
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown entity kind {kind!r}", key="entity_kind", kind=kind)
    return KINDS if kind is None else (kind,)


def link(session: Session, actor: Actor, *, kind: str | None = None, full: bool = True, retrain: bool = False,
         progress: Progress | None = None) -> list[LinkResult]:
    """Link persons and / or enterprises. `full` re-links everything (and trains the model when there is none or
    `retrain`); otherwise only the mentions not linked yet are linked into the existing files."""
    require(actor, "entities.link")
    ensure_defaults(session, actor)
    settings = get_settings()
    out = []
    for k in _kinds(kind):
        srcs = sources(session, k)
        with get_warehouse().connect() as con:
            model = linker.load_model(con, k)
            if full or model is None or not incremental.linked(con, k):
                result = linker.link_full(con, k, srcs, _decisions(session, k), secret=masking_key(),
                                          threshold=settings.entities_threshold, retrain=retrain,
                                          backend=settings.entities_engine, progress=progress)
            else:
                result = incremental.link_new(con, k, srcs, _decisions(session, k), model, secret=masking_key(),
                                              threshold=settings.entities_threshold)
        audit.record(session, actor, "entities.link", f"{k}_file", "*",
                     detail={"full": full, "mentions": result.mentions, "exact": result.exact,
                             "probabilistic": result.probabilistic, "alone": result.alone,
                             "steward": result.steward, "files": result.files, "seconds": result.seconds})
        out.append(result)
    return out


def link_records(session: Session, actor: Actor, dataset: str, records: Sequence[int],
                 kind: str | None = None) -> list[LinkResult]:
    """Link the given records of `dataset` (newly loaded) into the existing files, for every kind it is a source
    of. Kinds never fully linked are skipped (their first link is `link(full=True)`)."""
    require(actor, "entities.link")
    settings = get_settings()
    out = []
    for k in _kinds(kind):
        srcs = [s for s in sources(session, k) if s.dataset == dataset]
        if not srcs:
            continue
        with get_warehouse().connect() as con:
            model = linker.load_model(con, k)
            if model is None or not incremental.linked(con, k):
                continue
            result = incremental.link_new(con, k, sources(session, k), _decisions(session, k), model,
                                          secret=masking_key(), threshold=settings.entities_threshold,
                                          records={dataset: list(records)})
        audit.record(session, actor, "entities.link_records", "dataset", dataset,
                     detail={"kind": k, "records": len(records), "files": result.files, "seconds": result.seconds})
        out.append(result)
    return out


CHANGED = "dataset.changed"  # published by every load (platform.exchange); entity linkage subscribes
DURABLE = "entities-link"


def relink_dataset(session: Session, actor: Actor, dataset: str) -> list[LinkResult]:
    """A source dataset has a new version: its links are rebuilt (its row numbers are the new version's) and
    the files it touches refreshed; every other link stays. Kinds never fully linked are skipped."""
    require(actor, "entities.link")
    settings = get_settings()
    out = []
    for k in KINDS:
        srcs = sources(session, k)
        if not any(s.dataset == dataset for s in srcs):
            continue
        with get_warehouse().connect() as con:
            model = linker.load_model(con, k)
            if model is None or not incremental.linked(con, k):
                continue
            result = incremental.link_new(con, k, srcs, _decisions(session, k), model, secret=masking_key(),
                                          threshold=settings.entities_threshold, reload=[dataset])
        audit.record(session, actor, "entities.relink", "dataset", dataset,
                     detail={"kind": k, "mentions": result.mentions, "files": result.files,
                             "seconds": result.seconds})
        out.append(result)
    return out


def on_dataset_changed(session: Session, event: Any) -> None:
    """The `dataset.changed` consumer: a new version of a source dataset is linked into the files."""
    from digigov.core.bus import Event

    assert isinstance(event, Event)
    code = str(event.payload.get("dataset", ""))
    if code:
        relink_dataset(session, Actor(username="system", roles=frozenset({"platform_admin"}), via="system"), code)


def register_consumers() -> None:
    from digigov.core import bus

    bus.subscribe(DURABLE, CHANGED, on_dataset_changed)


def resolve(kind: str, text: str) -> str | None:
    """The file id of an ID (persons) or USCC (enterprises) when it is valid, else None."""
    key = nz.citizen_id(text) if kind == "person" else nz.credit_code(text)
    return linker.key_file_id(kind, key, masking_key()) if key else None


def find(session: Session, actor: Actor, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Files whose identifier is `text`, or whose name is `text` (persons and enterprises); audited."""
    require(actor, "entities.view")
    text = text.strip()
    if not text:
        return []
    hits: list[dict[str, Any]] = []
    with get_warehouse().connect() as con:
        for kind in KINDS:
            if not incremental.linked(con, kind):
                continue
            file_id = resolve(kind, text)
            name = nz.person_name(text) if kind == "person" else text
            rows = con.execute(
                f"SELECT file_id, name, records FROM {linker.file_table(kind)} WHERE file_id = ? OR file_id = ? "
                f"OR name = ? ORDER BY records DESC, file_id LIMIT {int(limit)}",
                [file_id or "", text, name]).fetchall()
            hits += [{"kind": kind, "file_id": r[0], "name": r[1], "records": r[2]} for r in rows]
    audit.record(session, actor, "entities.search", "entity_file", "*", detail={"hits": len(hits)})
    return hits


def file_view(session: Session, actor: Actor, kind: str, file_id: str, *, purpose: str = "") -> FileView:
    """The file as `actor` may see it: the golden record masked, each department's section in full only when the
    actor's department owns the dataset or holds an active grant for it. Audited with what was shown."""
    require(actor, "entities.view")
    _kinds(kind)
    view = build_view(session, actor, kind, file_id)
    audit.record(session, actor, "entities.file.view", f"{kind}_file", file_id, purpose=purpose,
                 detail={"shown": [s.dataset for s in view.sections if s.visible],
                         "hidden": [s.dataset for s in view.sections if not s.visible]})
    return view


@dataclass
class DecisionResult:
    decision: EntityDecision
    moved_to: str
    refreshed: list[str] = field(default_factory=list)


def decide(session: Session, actor: Actor, *, kind: str, file_id: str, dataset: str, record: int, role: str = "",
           action: str, reason: str = "") -> DecisionResult:
    """A steward's decision on one linked record: `confirm` it in `file_id` or `split` it out. Applied to the
    links now (the record moves, both files' golden records are recomputed) and again on every re-link."""
    require(actor, "entities.decide")
    _kinds(kind)
    if action not in DECISIONS:
        raise InvalidInput(f"unknown decision {action!r}", key="entity_decision", action=action)
    settings = get_settings()
    with get_warehouse().connect() as con:
        if not incremental.linked(con, kind):
            raise NotFound("nothing is linked yet", key="entities_not_linked")
        row = first(con.execute(f"SELECT fp, file_id, layer FROM {linker.link_table(kind)} WHERE dataset = ? AND "
                          "record = ? AND role = ?", [dataset, int(record), role]))
        if row is None:
            raise NotFound(f"record {dataset}#{record} is not linked", key="entity_record_not_found",
                           dataset=dataset, record=str(record))
        fingerprint, current, _layer = row
        if action == "split" and current != file_id:
            raise InvalidInput("the record is not in this file", key="entity_record_elsewhere")
        decision = EntityDecision(kind=kind, action=action, dataset_code=dataset, record=int(record), role=role,
                                  fingerprint=fingerprint, file_id=file_id, reason=reason.strip()[:2000],
                                  decided_by=actor.user_id)
        session.add(decision)
        session.flush()
        model = linker.load_model(con, kind) or {}
        # relinking the record applies the decision and refreshes the golden records of the file it left and the
        # file it joined (link_new refreshes every file it touched)
        incremental.link_new(con, kind, sources(session, kind), _decisions(session, kind), model,
                             secret=masking_key(), threshold=settings.entities_threshold,
                             records={dataset: [int(record)]})
        moved = first(con.execute(f"SELECT file_id FROM {linker.link_table(kind)} WHERE dataset = ? AND record = ? "
                            "AND role = ?", [dataset, int(record), role]))
        moved_to = str(moved[0]) if moved else ""
    audit.record(session, actor, f"entities.decide.{action}", f"{kind}_file", file_id, purpose=reason,
                 detail={"dataset": dataset, "record": int(record), "role": role, "from": current, "to": moved_to})
    return DecisionResult(decision, moved_to, sorted({current, moved_to} - {""}))


def evidence(text: str | None) -> dict[str, Any]:
    """A link's evidence as a dict (empty for none)."""
    try:
        return dict(json.loads(text)) if text else {}
    except (TypeError, ValueError):
        return {}


def attributes(kind: str) -> tuple[str, ...]:
    return ATTRIBUTES[kind]


def key_attribute(kind: str) -> str:
    return KEY_ATTRIBUTE[kind]
