"""The CKAN Action API (v3) over the open catalogue: CKAN's dictionaries, parameters and actions.

A dataset is a CKAN package named by its code; its owner department is the organisation (named after the
department code), its IRS system (五大系统) the group, its catalogue tags the tags; it has one resource per
download format (CSV, JSON, Parquet), the CSV one datastore-active so `datastore_search` reads its rows.
Field names and shapes follow CKAN 2.10 (docs.ckan.org, "API guide" and "DataStore extension"), so the
unmodified `ckanapi` client and CKAN harvesters work against it.

Each action is `f(session, site, params) -> result`, where `params` is the request's data dict (query
parameters or a JSON body) and `site` the absolute base URL. Errors are digigov errors: NotFound becomes
CKAN's "Not Found Error" (404), InvalidInput its "Validation Error" (409), a search the index cannot run its
"Search Query Error" (400); `api.py` writes the envelope.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

import digigov
from digigov.core.errors import InvalidInput, NotFound, PermissionDenied
from digigov.core.settings import get_settings
from digigov.identity.model import Department
from digigov.platform.catalog.labels import SYSTEM_LABELS
from digigov.platform.opendata import search as searching
from digigov.platform.opendata import service, serving
from digigov.platform.opendata.service import FORMAT_LABELS, FORMATS, MEDIA_TYPES, OpenDataset, ckan_time

CKAN_VERSION = "2.10.4"  # the API generation these actions follow
ROWS_MAX = 1000  # ckan.search.rows_max
FACET_LIMIT = 50  # CKAN's default facet.limit
MAX_OFFSET = 2**31 - 1
#: CKAN datastore type of each DuckDB type.
DATASTORE_TYPES = {
    "BIGINT": "int8", "HUGEINT": "numeric", "INTEGER": "int4", "SMALLINT": "int2", "TINYINT": "int2",
    "UBIGINT": "numeric", "UINTEGER": "int8", "USMALLINT": "int4", "UTINYINT": "int2", "DOUBLE": "float8",
    "FLOAT": "float4", "REAL": "float4", "BOOLEAN": "bool", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIME": "time", "VARCHAR": "text", "UUID": "uuid",
}
#: Write actions of CKAN: refused with its "Authorization Error" (the portal is read-only).
WRITE_ACTIONS = frozenset({
    "package_create", "package_update", "package_patch", "package_delete", "dataset_purge", "resource_create",
    "resource_update", "resource_patch", "resource_delete", "organization_create", "organization_update",
    "organization_delete", "organization_patch", "group_create", "group_update", "group_delete", "group_patch",
    "datastore_create", "datastore_upsert", "datastore_delete", "tag_create", "user_create", "member_create",
    "package_relationship_create", "package_owner_org_update", "package_collaborator_create",
})


@dataclass(frozen=True)
class Site:
    """Where the API is served: the absolute base URL (no trailing slash) and the API path prefix."""

    url: str
    api: str = "/api/3/action"


# ---- parameters ------------------------------------------------------------------------------------

def _missing(name: str) -> InvalidInput:
    return InvalidInput(f"{name}: Missing value", key="required", field=name)


def _int(params: Mapping[str, Any], name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool | list | dict):
        raise InvalidInput(f"{name}: Invalid integer", field=name)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidInput(f"{name}: Invalid integer", field=name) from None
    if value < low:
        raise InvalidInput(f"{name}: Must be a natural number", field=name)
    return min(value, high) if high is not None else value


def _bool(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InvalidInput(f"{name}: Value must be one of: true, false", field=name)


def _str(params: Mapping[str, Any], name: str, default: str = "", *, max_len: int = 1000) -> str:
    raw = params.get(name)
    if raw is None:
        return default
    if isinstance(raw, list):
        raw = " ".join(str(v) for v in raw)
    if isinstance(raw, dict):
        raise InvalidInput(f"{name}: must be text", field=name)
    return str(raw)[:max_len]


def _list(params: Mapping[str, Any], name: str) -> list[str] | None:
    """A list parameter: a list, a JSON-encoded list, or comma-separated text (as CKAN accepts)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError:
                raise InvalidInput(f"{name}: not a JSON list", field=name) from None
        else:
            raw = [p.strip() for p in text.split(",") if p.strip()]
    if not isinstance(raw, list) or not all(isinstance(v, str | int | float) for v in raw):
        raise InvalidInput(f"{name}: must be a list of names", field=name)
    return [str(v) for v in raw]


def _dict(params: Mapping[str, Any], name: str) -> dict[str, Any]:
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidInput(f"{name}: not a JSON object", field=name) from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{name}: must be a JSON object", field=name)
    return raw


def _id(params: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    raise _missing(names[0])


# ---- dictionaries ----------------------------------------------------------------------------------

def _title_translated(zh: str, en: str) -> dict[str, str]:
    return {"zh_Hans_CN": zh, "en": en or zh}


def organization_dict(dept: Department, package_count: int) -> dict[str, Any]:
    return {
        "id": service.organization_id(dept), "name": service.organization_name(dept), "title": dept.name,
        "display_name": dept.name, "title_translated": _title_translated(dept.name, dept.name_en),
        "description": f"{dept.name}（{dept.region.name}）" if dept.region else dept.name,
        "type": "organization", "is_organization": True, "state": "active", "approval_status": "approved",
        "image_url": "", "image_display_url": "", "created": "", "package_count": package_count,
        "extras": [{"key": "region", "value": dept.region_code}, {"key": "tier", "value": dept.tier}],
    }


def group_dict(system: str, package_count: int) -> dict[str, Any]:
    zh, en = SYSTEM_LABELS.get(system, (system, system))
    return {
        "id": service.group_id(system), "name": system, "title": zh, "display_name": zh,
        "title_translated": _title_translated(zh, en), "description": en, "type": "group",
        "is_organization": False, "state": "active", "approval_status": "approved", "image_url": "",
        "image_display_url": "", "created": "", "package_count": package_count,
    }


def download_url(site: Site, view: OpenDataset, fmt: str) -> str:
    return f"{site.url}/open/datasets/{view.code}.{fmt}"


def resource_dict(site: Site, view: OpenDataset, fmt: str) -> dict[str, Any]:
    label = FORMAT_LABELS[fmt]
    return {
        "id": view.resource_id(fmt), "package_id": view.package_id, "name": f"{view.name} ({label})",
        "description": f"{view.name}：{label} 格式全量下载" if fmt != "csv" else
        f"{view.name}：CSV 格式全量下载（UTF-8，带 BOM），也可通过 datastore_search 按条件查询",
        "format": label, "mimetype": MEDIA_TYPES[fmt], "mimetype_inner": None, "url": download_url(site, view, fmt),
        "url_type": None, "position": FORMATS.index(fmt), "state": "active", "resource_type": None,
        "datastore_active": fmt == "csv", "size": None, "hash": "", "cache_url": None, "cache_last_updated": None,
        "created": ckan_time(view.created), "last_modified": ckan_time(view.modified),
        "metadata_modified": ckan_time(view.modified),
    }


def package_dict(site: Site, view: OpenDataset) -> dict[str, Any]:
    """A dataset as CKAN's package_show returns it."""
    owner = view.owner
    org = organization_dict(owner, 0)
    org.pop("package_count")
    org.pop("extras")
    groups = [] if not view.system else [{k: v for k, v in group_dict(view.system, 0).items()
                                          if k in ("id", "name", "title", "display_name", "description",
                                                   "image_display_url")}]
    region = owner.region
    return {
        "id": view.package_id, "name": view.code, "title": view.name,
        "title_translated": _title_translated(view.name, view.name_en), "notes": view.description,
        "type": "dataset", "state": "active", "private": False, "isopen": True, "url": f"{site.url}/open/datasets/"
        f"{view.code}", "version": str(view.version),
        "author": owner.name, "author_email": None, "maintainer": owner.name, "maintainer_email": None,
        "license_id": view.license.id, "license_title": view.license.title, "license_url": view.license.url,
        "metadata_created": ckan_time(view.created), "metadata_modified": ckan_time(view.modified),
        "owner_org": org["id"], "organization": org, "groups": groups,
        "tags": [{"id": service.group_id(f"tag/{t}"), "name": t, "display_name": t, "state": "active",
                  "vocabulary_id": None} for t in view.tags],
        "num_tags": len(view.tags), "resources": [resource_dict(site, view, f) for f in FORMATS],
        "num_resources": len(FORMATS),
        "extras": [
            {"key": "update_frequency", "value": view.frequency},
            {"key": "accrual_periodicity", "value": service.FREQUENCY_CODES.get(view.frequency, "IRREG")},
            {"key": "region", "value": owner.region_code},
            {"key": "region_name", "value": region.name if region else ""},
            {"key": "record_count", "value": str(view.rows)},
            {"key": "grade", "value": service.OPEN_GRADE},
        ],
        "relationships_as_object": [], "relationships_as_subject": [],
    }


# ---- actions ---------------------------------------------------------------------------------------

Action = Callable[[Session, Site, Mapping[str, Any]], Any]


def package_list(session: Session, site: Site, params: Mapping[str, Any]) -> list[str]:
    """The names of all open datasets (limit, offset)."""
    names = [v.code for v in service.open_datasets(session)]
    offset = _int(params, "offset", 0, high=MAX_OFFSET)
    limit = _int(params, "limit", len(names), high=MAX_OFFSET)
    return names[offset:offset + limit]


def package_show(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    """One open dataset by name or id."""
    view = service.find_by_id(session, _id(params, "id", "name_or_id"))
    return package_dict(site, view)


def facet_fields_of(params: Mapping[str, Any]) -> list[str]:
    fields = _list(params, "facet.field") or []
    return [f for f in fields if f]


def package_search(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    """Search: q, fq, rows, start, sort, facet.field, facet.limit, facet.mincount."""
    rows = _int(params, "rows", 10, high=ROWS_MAX)
    start = _int(params, "start", 0)
    fq = _str(params, "fq")
    fq_list = _list(params, "fq_list") or []
    crit = service.criteria(_str(params, "q"), " ".join([fq, *fq_list]), _str(params, "sort") or None)
    want_facets = _bool(params, "facet", True)
    fields = facet_fields_of(params) if want_facets else []
    limit = _int(params, "facet.limit", FACET_LIMIT, low=-1)
    mincount = _int(params, "facet.mincount", 1)
    result = service.search(session, crit, rows=rows, start=start, facet_fields=fields)
    views = {v.code: v for v in service.open_datasets(session)} if fields else {}
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for name in fields:
        counts = result.facets.get(name) or Counter()
        ordered = sorted(((k, n) for k, n in counts.items() if n >= mincount), key=lambda kv: (-kv[1], kv[0]))
        if limit >= 0:
            ordered = ordered[:limit]
        facets[name] = dict(ordered)
        labels = _facet_labels(name, views.values())
        search_facets[name] = {"title": name, "items": [
            {"name": k, "display_name": labels.get(k, k), "count": n} for k, n in ordered]}
    return {
        "count": result.total, "sort": ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in crit.sort),
        "results": [package_dict(site, v) for v in result.items], "facets": facets, "search_facets": search_facets,
    }


def _facet_labels(name: str, views: Any) -> dict[str, str]:
    if name == "organization":
        return {service.organization_name(v.owner): v.owner.name for v in views}
    if name == "groups":
        return {k: zh for k, (zh, _en) in SYSTEM_LABELS.items()}
    return {}


def _organizations(session: Session) -> list[tuple[Department, int]]:
    counts: dict[int, tuple[Department, int]] = {}
    for view in service.open_datasets(session):
        dept, n = counts.get(view.owner.id, (view.owner, 0))
        counts[view.owner.id] = (dept, n + 1)
    return list(counts.values())


def _sorted_named(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key, _, direction = (sort or "title asc").strip().partition(" ")
    if key not in ("title", "name", "package_count") or direction.strip().lower() not in ("", "asc", "desc"):
        raise InvalidInput(f"sort: cannot sort by {sort!r}", field="sort")
    return sorted(items, key=lambda d: d[key], reverse=direction.strip().lower() == "desc")


def _listing(items: list[dict[str, Any]], params: Mapping[str, Any]) -> list[Any]:
    wanted = _list(params, "organizations") or _list(params, "groups")
    if wanted:
        items = [d for d in items if d["name"] in wanted]
    items = _sorted_named(items, _str(params, "sort", "title asc"))
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 1000, high=1000)
    items = items[offset:offset + limit]
    if _bool(params, "all_fields"):
        return items
    return [d["name"] for d in items]


def organization_list(session: Session, site: Site, params: Mapping[str, Any]) -> list[Any]:
    """The departments that publish open datasets (names, or dicts with `all_fields`)."""
    return _listing([organization_dict(d, n) for d, n in _organizations(session)], params)


def _find_organization(session: Session, name_or_id: str) -> tuple[Department, int]:
    for dept, n in _organizations(session):
        if name_or_id in (service.organization_name(dept), service.organization_id(dept), dept.code):
            return dept, n
    raise NotFound(f"organization {name_or_id} not found", key="open_dataset_not_found", dataset=name_or_id[:60])


def organization_show(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    """One publishing department; `include_datasets` adds its open datasets."""
    dept, n = _find_organization(session, _id(params, "id"))
    out = organization_dict(dept, n)
    if _bool(params, "include_datasets"):
        out["packages"] = [package_dict(site, v) for v in service.open_datasets(session) if v.owner.id == dept.id]
    return out


def _groups(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for view in service.open_datasets(session):
        if view.system:
            counts[view.system] = counts.get(view.system, 0) + 1
    return counts


def group_list(session: Session, site: Site, params: Mapping[str, Any]) -> list[Any]:
    """The IRS systems (五大系统) that hold open datasets."""
    return _listing([group_dict(s, n) for s, n in _groups(session).items()], params)


def group_show(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    name_or_id = _id(params, "id")
    for system, n in _groups(session).items():
        if name_or_id in (system, service.group_id(system)):
            out = group_dict(system, n)
            if _bool(params, "include_datasets"):
                out["packages"] = [package_dict(site, v) for v in service.open_datasets(session)
                                   if v.system == system]
            return out
    raise NotFound(f"group {name_or_id} not found", key="open_dataset_not_found", dataset=name_or_id[:60])


def tag_list(session: Session, site: Site, params: Mapping[str, Any]) -> list[Any]:
    """Tags of open datasets; `query` keeps those containing it; `all_fields` gives dicts."""
    query = _str(params, "query", max_len=100).lower()
    tags = sorted({t for v in service.open_datasets(session) for t in v.tags})
    if query:
        tags = [t for t in tags if query in t.lower()]
    if _bool(params, "all_fields"):
        return [{"id": service.group_id(f"tag/{t}"), "name": t, "display_name": t, "vocabulary_id": None}
                for t in tags]
    return tags


def resource_show(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    view, fmt = service.find_resource(session, _id(params, "id"))
    return resource_dict(site, view, fmt)


def _datastore_fields(page: serving.RowPage) -> list[dict[str, str]]:
    return [{"id": name, "type": "int" if name == serving.ROW_ID else DATASTORE_TYPES.get(kind.upper(), "text")}
            for name, kind in page.fields]


def _filters(params: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in _dict(params, "filters").items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise InvalidInput("filters: values must be text, numbers or lists of them", field="filters")
        out[str(key)] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return out


def _datastore_sort(params: Mapping[str, Any]) -> list[tuple[str, bool]]:
    raw = params.get("sort")
    parts = raw if isinstance(raw, list) else _str(params, "sort").split(",")
    out: list[tuple[str, bool]] = []
    for part in parts:
        bits = str(part).strip().strip('"').split()
        if not bits:
            continue
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        if direction not in ("asc", "desc") or len(bits) > 2:
            raise InvalidInput(f"sort: cannot sort by {part!r}", field="sort")
        out.append((bits[0].strip('"'), direction == "desc"))
    return out


def datastore_search(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    """Rows of an open dataset's datastore resource: filters, q, fields, sort, limit, offset."""
    resource_id = _id(params, "resource_id", "id")
    view, _fmt = service.find_resource(session, resource_id)
    raw_q = params.get("q")
    q_text, q_fields = "", {}
    if isinstance(raw_q, dict) or (isinstance(raw_q, str) and raw_q.strip().startswith("{")):
        q_fields = {str(k): str(v) for k, v in _dict(params, "q").items()}
    else:
        q_text = _str(params, "q", max_len=200)
    rq = serving.RowQuery(filters=_filters(params), q=q_text, q_fields=q_fields, fields=_list(params, "fields"),
                          sort=_datastore_sort(params), limit=_int(params, "limit", 100, high=serving.MAX_ROWS),
                          offset=_int(params, "offset", 0, high=MAX_OFFSET))
    records_format = _str(params, "records_format", "objects")
    if records_format not in ("objects", "lists"):
        raise InvalidInput("records_format: must be objects or lists", field="records_format")
    page = service.datastore_read(session, view, rq)
    names = [n for n, _ in page.fields]
    records: list[Any] = page.records if records_format == "objects" else \
        [[r[n] for n in names] for r in page.records]
    link = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in params.items() if k not in ("offset", "id")}
    link["resource_id"] = resource_id
    out: dict[str, Any] = {
        "include_total": True, "resource_id": resource_id, "fields": _datastore_fields(page),
        "records_format": records_format, "records": records, "limit": page.limit, "total": page.total,
        "_links": {"start": f"{site.api}/datastore_search?{urlencode(sorted(link.items()))}",
                   "next": f"{site.api}/datastore_search?"
                           f"{urlencode(sorted({**link, 'offset': str(page.offset + page.limit)}.items()))}"},
    }
    if rq.filters:
        out["filters"] = rq.filters
    if page.offset:
        out["offset"] = page.offset
    if q_text or q_fields:
        out["q"] = q_text or q_fields
    return out


def status_show(session: Session, site: Site, params: Mapping[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    return {
        "site_title": settings.open_site_title, "site_description": "浙江省一体化智能化公共数据平台的开放数据目录",
        "site_url": site.url, "ckan_version": CKAN_VERSION, "locale_default": "zh_Hans_CN",
        "error_emails_to": None, "extensions": ["datastore", "dcat"], "digigov_version": digigov.__version__,
    }


def site_read(session: Session, site: Site, params: Mapping[str, Any]) -> bool:
    return True


def help_show(session: Session, site: Site, params: Mapping[str, Any]) -> str:
    name = _id(params, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"action {name} not found", key="open_dataset_not_found", dataset=name[:60])
    return (action.__doc__ or name).strip()


ACTIONS: dict[str, Action] = {
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "datastore_search": datastore_search,
    "status_show": status_show,
    "site_read": site_read,
    "help_show": help_show,
}


def call(session: Session, site: Site, action: str, params: Mapping[str, Any]) -> Any:
    """Run `action`; PermissionDenied for CKAN's write actions (read-only portal), KeyError for unknown ones."""
    if action in WRITE_ACTIONS:
        raise PermissionDenied(f"{action} is not offered: the open-data portal is read-only", action=action)
    return ACTIONS[action](session, site, params)


def error_body(exc: Exception) -> tuple[int, dict[str, Any]]:
    """CKAN's status and `error` object for a failed action."""
    message = getattr(exc, "message", str(exc))
    if isinstance(exc, NotFound):
        return 404, {"__type": "Not Found Error", "message": f"Not found: {message}"}
    if isinstance(exc, PermissionDenied):
        return 403, {"__type": "Authorization Error", "message": f"Access denied: {message}"}
    if isinstance(exc, searching.SearchQueryError):
        return 400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {message}"}
    field = str(getattr(exc, "detail", {}).get("field") or "data")
    return 409, {"__type": "Validation Error", field: [message.split(": ", 1)[-1]], "message": message}
