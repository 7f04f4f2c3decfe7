"""Open data (开放): which datasets the public sees and which of their fields; search, rows, exports, counts.

A dataset is open when its grade is L1 (不敏感, 可在开放平台直接开放), it has a current version, and it is not
withdrawn: its IRS catalogue entry is not offline or retired and does not say 受限开放 or 禁止开放. Of an open
dataset only the fields whose own effective grade is L1 are served (defence in depth: a dataset grade that
is stale or wrong can never let an L2-L4 column out; a field whose national level is 重要/核心 counts as L4).
Every entry point (the portal, its downloads, the CKAN API, the DCAT catalogue) finds datasets only through
`open_datasets` / `get_open` and reads rows only through `serving`, which names the open columns one by one
in the serving SELECT (never `*`). Anything else answers "not found", the same as a code that does
not exist, so the public cannot learn that a closed dataset is there.

Public reads are not personal data. Each download and each datastore read is written to the audit log with
the actor `public` (action `opendata.download`, object the dataset code, detail `{"channel": ...}` with
`csv`, `json`, `parquet` or `datastore`); the download counts are read back from those records. No address or
other detail of the reader is kept.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.audit.model import AuditRecord
from digigov.core.clock import iso, utcnow
from digigov.core.errors import NotFound
from digigov.core.i18n import register
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import require
from digigov.platform.catalog.model import Resource
from digigov.platform.catalog.text import query_tokens
from digigov.platform.opendata import search as searching
from digigov.platform.opendata import serving
from digigov.platform.standards import registry, scheme
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset

OPEN_GRADE = "L1"
WITHDRAWN_STATUSES = ("offline", "retired")
NOT_OPEN_ATTRIBUTES = ("受限开放", "禁止开放")
FORMATS = ("csv", "json", "parquet")
CHANNELS = (*FORMATS, "datastore")
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "parquet": "Parquet"}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet"}
DOWNLOAD_ACTION = "opendata.download"
PUBLIC = Actor(username="public", via="public")  # the anonymous reader, as the audit log names it
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "digigov:opendata")  # stable CKAN-style ids
#: The DCAT/EU frequency authority code of each update frequency (更新频率).
FREQUENCY_CODES = {"实时": "CONT", "每日": "DAILY", "每周": "WEEKLY", "每月": "MONTHLY", "每季度": "QUARTERLY",
                   "每年": "ANNUAL", "不定期": "IRREG"}

register({
    "error.open_dataset_not_found": ("没有找到开放数据集 {dataset}", "No open dataset {dataset}"),
    "error.open_unknown_field": ("没有名为“{name}”的字段", "There is no field {name}"),
    "error.open_bad_query": ("无法识别的查询条件", "The query cannot be read"),
    "error.open_bad_range": ("范围条件应写作 [下限 TO 上限]", "A range is written [low TO high]"),
    "error.open_bad_sort": ("无法按“{sort}”排序", "Cannot sort by {sort}"),
})


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str = ""


KNOWN_LICENSES = {lic.id.lower(): lic for lic in (
    License("CC-BY-4.0", "知识共享署名 4.0 国际许可协议 (CC BY 4.0)", "https://creativecommons.org/licenses/by/4.0/"),
    License("CC-BY-SA-4.0", "知识共享署名-相同方式共享 4.0 国际许可协议 (CC BY-SA 4.0)",
            "https://creativecommons.org/licenses/by-sa/4.0/"),
    License("CC0-1.0", "CC0 1.0 公共领域贡献 (CC0 1.0)", "https://creativecommons.org/publicdomain/zero/1.0/"),
    License("ODC-BY-1.0", "开放数据共享署名许可 (ODC-BY 1.0)", "https://opendatacommons.org/licenses/by/1-0/"),
    License("ODbL-1.0", "开放数据库许可 (ODbL 1.0)", "https://opendatacommons.org/licenses/odbl/1-0/"),
)}


def default_license() -> License:
    s = get_settings()
    return License(s.open_license_id, s.open_license_title, s.open_license_url)


def license_of(resource: Resource | None) -> License:
    """The licence the catalogue entry names (attribute `license` or `licence`: an id, a title, or
    {id, title, url}), else the platform's default."""
    named = (resource.attributes or {}).get("license") or (resource.attributes or {}).get("licence") \
        if resource is not None else None
    if isinstance(named, Mapping) and named.get("id"):
        known = KNOWN_LICENSES.get(str(named["id"]).lower())
        return License(str(named["id"]), str(named.get("title") or (known.title if known else named["id"])),
                       str(named.get("url") or (known.url if known else "")))
    if isinstance(named, str) and named.strip():
        text = named.strip()
        known = KNOWN_LICENSES.get(text.lower()) or next(
            (lic for lic in KNOWN_LICENSES.values() if lic.title == text), None)
        if known:
            return known
        slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text.lower()).strip("-")
        return License(slug or str(uuid.uuid5(_IDS, "license/" + text))[:8], text, "")
    return default_license()


# ---- what is open ---------------------------------------------------------------------------------

def field_is_open(grade: str, gb_level: str) -> bool:
    """A field is served only when its effective grade is L1 and its national level does not forbid it."""
    if grade not in scheme.GRADES or gb_level not in scheme.GB_LEVELS:
        return False
    return scheme.effective_grade(grade, gb_level) == OPEN_GRADE


def withdrawn(resource: Resource | None) -> bool:
    """Withdrawn from opening: the catalogue entry is offline/retired or says 受限开放/禁止开放."""
    if resource is None:
        return False
    return resource.status in WITHDRAWN_STATUSES or \
        (resource.attributes or {}).get("open_attribute") in NOT_OPEN_ATTRIBUTES


def dataset_is_open(ds: Dataset) -> bool:
    return (ds.grade == OPEN_GRADE and bool(ds.current_version) and ds.gb_level not in scheme.BLOCKING_GB_LEVELS
            and not withdrawn(ds.resource) and any(field_is_open(f.grade, f.gb_level) for f in ds.fields))


@dataclass(frozen=True)
class OpenField:
    column: str
    header: str
    element: str | None
    element_name: str
    element_name_en: str


@dataclass
class OpenDataset:
    """An open dataset as the public sees it: its metadata and its open fields only."""

    dataset: Dataset
    fields: list[OpenField]
    license: License

    @property
    def code(self) -> str:
        return self.dataset.code

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def name_en(self) -> str:
        return self.dataset.name_en

    @property
    def description(self) -> str:
        res = self.dataset.resource
        return self.dataset.description or (res.description if res is not None else "") or ""

    @property
    def owner(self) -> Department:
        return self.dataset.owner

    @property
    def tags(self) -> list[str]:
        res = self.dataset.resource
        return [t for t in (res.tags if res is not None else []) if t]

    @property
    def system(self) -> str | None:
        res = self.dataset.resource
        return res.system if res is not None else None

    @property
    def frequency(self) -> str:
        return self.dataset.update_frequency

    @property
    def rows(self) -> int:
        return self.dataset.row_count

    @property
    def version(self) -> int:
        return self.dataset.current_version

    @property
    def created(self) -> datetime:
        return self.dataset.created_at

    @property
    def modified(self) -> datetime:
        return self.dataset.last_load_at or self.dataset.created_at

    @property
    def package_id(self) -> str:
        return str(uuid.uuid5(_IDS, f"dataset/{self.code}"))

    def resource_id(self, fmt: str) -> str:
        return str(uuid.uuid5(_IDS, f"resource/{self.code}/{fmt}"))


def organization_name(dept: Department) -> str:
    """A department's CKAN organisation name: its code, lower case, with only a-z, 0-9, '-' and '_'."""
    out = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "-" for ch in dept.code.lower())
    return out.strip("-") or f"org-{dept.id}"


def organization_id(dept: Department) -> str:
    return str(uuid.uuid5(_IDS, f"organization/{dept.code}"))


def group_id(system: str) -> str:
    return str(uuid.uuid5(_IDS, f"group/{system}"))


def _view(ds: Dataset) -> OpenDataset:
    elements = registry.elements()
    fields = []
    for f in ds.fields:
        if not field_is_open(f.grade, f.gb_level):
            continue
        el = elements.get(f.element_id or "")
        fields.append(OpenField(f.column, f.header, f.element_id, el.name if el else "", el.name_en if el else ""))
    return OpenDataset(ds, fields, license_of(ds.resource))


def open_datasets(session: Session) -> list[OpenDataset]:
    """Every open dataset, by code. The one door to the open catalogue: nothing else lists datasets."""
    stmt = select(Dataset).where(Dataset.grade == OPEN_GRADE, Dataset.current_version > 0).order_by(Dataset.code)
    return [_view(ds) for ds in session.scalars(stmt).unique() if dataset_is_open(ds)]


def get_open(session: Session, code: str) -> OpenDataset:
    """The open dataset `code`; NotFound for a closed one exactly as for one that does not exist."""
    ds = session.scalar(select(Dataset).where(Dataset.code == code)) if isinstance(code, str) else None
    if ds is None or not dataset_is_open(ds):
        raise NotFound(f"open dataset {code} not found", key="open_dataset_not_found", dataset=str(code)[:60])
    return _view(ds)


def find_by_id(session: Session, name_or_id: str) -> OpenDataset:
    """An open dataset by its code or its package id (CKAN's `id` parameter takes either)."""
    if isinstance(name_or_id, str) and len(name_or_id) == 36:
        for view in open_datasets(session):
            if view.package_id == name_or_id:
                return view
    return get_open(session, name_or_id)


def find_resource(session: Session, resource_id: str) -> tuple[OpenDataset, str]:
    """(dataset, format) of a distribution id; the dataset code stands for its datastore resource."""
    for view in open_datasets(session):
        if resource_id == view.code:
            return view, "csv"
        for fmt in FORMATS:
            if view.resource_id(fmt) == resource_id:
                return view, fmt
    raise NotFound(f"resource {resource_id} not found", key="open_dataset_not_found", dataset=str(resource_id)[:60])


# ---- searching ------------------------------------------------------------------------------------

def document(view: OpenDataset) -> dict[str, list[str]]:
    """The search document of an open dataset: CKAN's index fields as lists of strings."""
    owner = view.owner
    res_names = [f"{view.name} ({FORMAT_LABELS[f]})" for f in FORMATS]
    return {
        "id": [view.package_id], "name": [view.code], "title": [view.name], "title_en": [view.name_en],
        "notes": [view.description], "organization": [organization_name(owner)],
        "owner_org": [organization_id(owner)], "tags": view.tags, "groups": [view.system] if view.system else [],
        "res_format": [FORMAT_LABELS[f] for f in FORMATS], "res_name": res_names,
        "license_id": [view.license.id], "update_frequency": [view.frequency], "region": [owner.region_code],
        "metadata_modified": [ckan_time(view.modified)], "metadata_created": [ckan_time(view.created)],
        "num_resources": [str(len(FORMATS))], "num_tags": [str(len(view.tags))],
        "text": [view.code, view.name, view.name_en, view.description, owner.name, owner.name_en, *view.tags,
                 *(f.header for f in view.fields), *(f.element_name for f in view.fields)],
        **{k: [v] for k, v in searching.CONSTANTS.items()},
    }


@dataclass
class SearchResult:
    total: int
    items: list[OpenDataset]
    facets: dict[str, Counter[str]] = field(default_factory=dict)


def criteria(q: str = "", fq: str = "", sort: str | None = None, **filters: Iterable[str]) -> searching.Criteria:
    """Criteria from a free-text/Solr `q`, a Solr `fq`, a sort and plain filters (field -> values, all
    required). Chinese free text is cut into words with jieba, as the IRS search does."""
    words, groups = searching.parse(q or "")
    fq_words, fq_groups = searching.parse(fq or "")
    tokens = [t for w in [*words, *fq_words] for t in (query_tokens(w) or [w])]
    for key, values in filters.items():
        for value in values:
            if value:
                groups.append((searching.Clause(key, (value,)),))
    return searching.Criteria(tuple(tokens), tuple(groups) + tuple(fq_groups), searching.parse_sort(sort))


def search(session: Session, crit: searching.Criteria, *, rows: int = 10, start: int = 0,
           facet_fields: Iterable[str] = ()) -> SearchResult:
    views = {v.code: v for v in open_datasets(session)}
    outcome = searching.run({code: document(v) for code, v in views.items()}, crit, rows=rows, start=start,
                            facet_fields=facet_fields)
    return SearchResult(outcome.total, [views[c] for c in outcome.keys], outcome.facets)


# ---- counted reads --------------------------------------------------------------------------------

def datastore_read(session: Session, view: OpenDataset, rq: serving.RowQuery) -> serving.RowPage:
    """A datastore read through the API: counted as a download of the dataset."""
    page = serving.read(view, rq)
    count_download(session, view, "datastore")
    return page


def prepare_export(session: Session, view: OpenDataset, fmt: str) -> serving.Export:
    """Fix the columns and the table version of a download and count it."""
    if fmt not in FORMATS:
        raise NotFound(f"no {fmt} download", key="open_dataset_not_found", dataset=f"{view.code}.{fmt}"[:60])
    count_download(session, view, fmt)
    return serving.export_of(view)


# ---- counts ----------------------------------------------------------------------------------------

def count_download(session: Session, view: OpenDataset, channel: str) -> None:
    """One public read of a dataset, in the audit log under the actor `public`."""
    audit.record(session, PUBLIC, DOWNLOAD_ACTION, "dataset", view.code, detail={"channel": channel})


def download_counts(session: Session, codes: Iterable[str] | None = None) -> dict[str, int]:
    """Downloads and datastore reads so far, per dataset code (public figures: the portal shows them)."""
    stmt = (select(AuditRecord.object_id, func.count()).where(AuditRecord.action == DOWNLOAD_ACTION,
                                                              AuditRecord.object_type == "dataset")
            .group_by(AuditRecord.object_id))
    if codes is not None:
        stmt = stmt.where(AuditRecord.object_id.in_(list(codes)))
    return {str(code): int(n) for code, n in session.execute(stmt).all()}


@dataclass
class DownloadReport:
    """What a dataset's steward sees: reads by channel, in total and over the last `days` days, per day."""

    code: str
    total: int
    days: int
    by_channel: dict[str, int]
    recent_by_channel: dict[str, int]
    per_day: list[tuple[str, int]]


def download_report(session: Session, actor: Actor, code: str, days: int = 30) -> DownloadReport:
    """The owner department's steward (or the platform admin) sees how its open dataset is used."""
    ds = governance.find_dataset(session, code)
    require(actor, "catalog.manage", ds)
    since = iso(utcnow() - timedelta(days=days))
    base = (AuditRecord.action == DOWNLOAD_ACTION, AuditRecord.object_type == "dataset",
            AuditRecord.object_id == ds.code)
    by_detail = session.execute(select(AuditRecord.detail, func.count()).where(*base)
                                .group_by(AuditRecord.detail)).all()
    day = func.substr(AuditRecord.at, literal_column("1"), literal_column("10"))  # no bind: GROUP BY matches it
    recent = session.execute(select(AuditRecord.detail, day, func.count())
                             .where(*base, AuditRecord.at >= since).group_by(AuditRecord.detail, day)).all()

    def channel(detail: str) -> str:
        try:
            return str(json.loads(detail).get("channel", "other"))
        except (ValueError, AttributeError):
            return "other"

    by_channel: Counter[str] = Counter()
    for detail, n in by_detail:
        by_channel[channel(detail)] += int(n)
    recent_by_channel: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    for detail, day, n in recent:
        recent_by_channel[channel(detail)] += int(n)
        per_day[str(day)] += int(n)
    return DownloadReport(ds.code, sum(by_channel.values()), days,
                          {c: by_channel.get(c, 0) for c in CHANNELS},
                          {c: recent_by_channel.get(c, 0) for c in CHANNELS}, sorted(per_day.items()))


def ckan_time(moment: datetime | None) -> str:
    """A timestamp as CKAN writes it: UTC, no zone suffix, microseconds."""
    if moment is None:
        return ""
    return iso(moment)[:26]
