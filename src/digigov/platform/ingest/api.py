"""JSON routes of ingestion (归集): create a dataset, hand in a file (staged, or staged and committed), read a
load with its mapping suggestions and report, confirm its mapping, or discard it.

An upload is streamed, chunk by chunk, into a temporary file under the warehouse's temporary directory and
refused with 413 as soon as it passes `max_upload_bytes`; the dataset and the caller's right to load it
are checked before a byte of the body is read. `receive_upload` is shared with the console's upload page.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Request, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from digigov.core.errors import Conflict, DigigovError, InvalidInput
from digigov.core.http import DB
from digigov.core.i18n import register
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import require
from digigov.platform.catalog.api import NO_CONTROL, NON_BLANK, ErrorOut, Id32, _errors
from digigov.platform.ingest import service as ingest
from digigov.platform.quality.api import RuleResultOut
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.api import DatasetCode, DatasetOut, HitOut, LoadOut, dataset_out
from digigov.platform.warehouse.model import Dataset, Load

router = APIRouter(prefix="/api/v1", tags=["ingest"])

READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)
UPLOAD = {**WRITE, 413: {"model": ErrorOut, "description": "The file is larger than the platform accepts"}}
FORMATS = ("csv", "tsv", "xlsx", "json", "ndjson", "parquet")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
CHUNK = 1 << 20
MULTIPART_OVERHEAD = 64 << 10  # headers and the other fields, on top of the file itself

register({
    "error.upload_too_large": ("文件超过了平台接受的大小上限（{limit}）",
                               "The file is larger than the {limit} accepted"),
    "error.upload_not_multipart": ("请以 multipart/form-data 方式提交，文件放在 file 字段",
                                   "Send the file as multipart/form-data, in a field named file"),
    "error.upload_no_file": ("没有收到文件（file 字段）", "No file was sent (field file)"),
    "error.upload_malformed": ("上传内容格式错误，无法读取", "The upload is malformed and cannot be read"),
    "error.upload_field": ("表单字段“{name}”的取值无效", "The form field {name} has an invalid value"),
    "error.dataset_exists": ("数据集编码“{dataset}”已被使用", "The dataset code {dataset} is taken"),
})


class TooLarge(DigigovError):
    code = "too_large"
    http_status = 413


def size_text(n: int) -> str:
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= step:
            value = n / step
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{n} B"


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"the file is larger than the {size_text(limit)} accepted", key="upload_too_large",
                    limit=size_text(limit))


# ---------------------------------------------------------------- receiving an upload


@dataclass
class Upload:
    """A received file on disk under the warehouse's temporary directory, and the form's other fields."""

    directory: Path
    path: Path | None = None
    file_name: str = ""
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_file_name(name: str) -> str:
    """The base name of a client's file name, without characters a file system or a page would mind."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")[:200]
    return base or "upload"


class _Receiver:
    """python-multipart callbacks: the part named `file` goes to disk, other parts (small) to `fields`."""

    MAX_FIELD = 4096
    MAX_FIELDS = 20

    def __init__(self, upload: Upload, max_bytes: int, file_field: str) -> None:
        self.upload, self.max_bytes, self.file_field = upload, max_bytes, file_field
        self.header_name, self.header_value = b"", b""
        self.disposition = b""
        self.name = ""
        self.is_file = False
        self.value = bytearray()
        self.pending: list[bytes] = []
        self.handle: IO[bytes] | None = None
        self.error: DigigovError | None = None
        self.files = 0

    def on_part_begin(self) -> None:
        self.disposition, self.name, self.is_file, self.value = b"", "", False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options and self.name == self.file_field:
            self.files += 1
            if self.files > 1:
                self._fail(InvalidInput("send one file", key="upload_field", name=self.file_field))
                return
            self.is_file = True
            self.upload.file_name = options[b"filename"].decode("utf-8", "replace")[:255]
            self.upload.path = self.upload.directory / safe_file_name(self.upload.file_name)
            self.handle = self.upload.path.open("wb")
        elif len(self.upload.fields) >= self.MAX_FIELDS:
            self._fail(InvalidInput("too many form fields", key="upload_malformed"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        chunk = data[start:end]
        if self.is_file:
            self.upload.size += len(chunk)
            if self.upload.size > self.max_bytes:
                self._fail(too_large(self.max_bytes))
                return
            self.pending.append(chunk)
        elif len(self.value) + len(chunk) > self.MAX_FIELD:
            self._fail(InvalidInput(f"form field {self.name} is too long", key="upload_field", name=self.name[:40]))
        else:
            self.value += chunk

    def on_part_end(self) -> None:
        if not self.is_file and self.name and self.error is None:
            self.upload.fields.setdefault(self.name, self.value.decode("utf-8", "replace"))

    def on_end(self) -> None:
        return None

    def _fail(self, exc: DigigovError) -> None:
        if self.error is None:
            self.error = exc

    def flush(self) -> None:
        if self.pending and self.handle is not None:
            self.handle.write(b"".join(self.pending))
        self.pending.clear()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def callbacks(self) -> Any:
        return {name: getattr(self, name) for name in (
            "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_end")}


def _temp_directory() -> Path:
    base = get_warehouse().temp_dir
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=base))


async def receive_upload(request: Request, *, max_bytes: int, file_field: str = "file") -> Upload:
    """Stream a multipart/form-data request's file into a new temporary directory under the warehouse's
    temporary directory; TooLarge (413) past `max_bytes`, InvalidInput (422) for anything malformed.
    The caller discards the upload when done with it."""
    content_type = request.headers.get("content-type", "")
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput("send the file as multipart/form-data", key="upload_not_multipart")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
    upload = Upload(directory=await run_in_threadpool(_temp_directory))
    try:
        try:
            await _from_stream(request, upload, max_bytes, file_field, options[b"boundary"])
        except _StreamConsumed:
            await _from_parsed_form(request, upload, max_bytes, file_field)
        if upload.path is None:
            raise InvalidInput("no file was sent", key="upload_no_file")
    except BaseException:
        upload.discard()
        raise
    return upload


class _StreamConsumed(Exception):
    """The body was read before the route ran (the CSRF check parsed the form)."""


async def _from_stream(request: Request, upload: Upload, max_bytes: int, file_field: str, boundary: bytes) -> None:
    stream = request.stream()
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        first = b""
    except RuntimeError as exc:  # Starlette: "Stream consumed"
        raise _StreamConsumed from exc
    receiver = _Receiver(upload, max_bytes, file_field)
    parser = MultipartParser(boundary, receiver.callbacks())

    async def chunks() -> AsyncIterator[bytes]:
        yield first
        async for more in stream:
            yield more

    try:
        async for chunk in chunks():
            parser.write(chunk)
            if receiver.error is not None:
                raise receiver.error
            if receiver.pending:
                await run_in_threadpool(receiver.flush)
        parser.finalize()
        if receiver.error is not None:
            raise receiver.error
        await run_in_threadpool(receiver.flush)
    except FormParserError:
        raise InvalidInput("the multipart body is malformed", key="upload_malformed") from None
    finally:
        receiver.close()


async def _from_parsed_form(request: Request, upload: Upload, max_bytes: int, file_field: str) -> None:
    """The body was parsed already (a console form whose CSRF token came as a form field): copy its file."""
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, str):
            upload.fields.setdefault(key, value[:_Receiver.MAX_FIELD])
    sent = form.get(file_field)
    if not isinstance(sent, UploadFile):
        return
    upload.file_name = (sent.filename or "upload")[:255]
    upload.path = upload.directory / safe_file_name(upload.file_name)
    with upload.path.open("wb") as out:
        while chunk := await sent.read(CHUNK):
            upload.size += len(chunk)
            if upload.size > max_bytes:
                raise too_large(max_bytes)
            await run_in_threadpool(out.write, chunk)


def flag(fields: dict[str, str], name: str) -> bool:
    value = fields.get(name, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false", key="upload_field", name=name)


def file_format(fields: dict[str, str]) -> str | None:
    value = fields.get("format", "").strip().lower()
    if not value:
        return None
    if value not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", key="upload_field", name="format")
    return value


# ---------------------------------------------------------------- models


class SuggestionOut(BaseModel):
    column: str = Field(description="the column name in the raw table")
    header: str = Field(description="the header as in the file")
    element: str | None = Field(description="the suggested data element, or null (not mapped)")
    confidence: float
    source: str = Field(description="header, content, both, remembered or none")
    alternatives: list[str]
    detected: list[HitOut]


class QualityReportOut(BaseModel):
    score: float | None
    by_kind: dict[str, float]
    results: list[RuleResultOut]


class LoadDetailOut(LoadOut):
    dataset: str
    headers: list[str]
    columns: list[str]
    suggestions: list[SuggestionOut] = Field(description="per column, in file order (staged loads)")
    mapping: dict[str, str | None] = Field(description="column -> data element, as committed")
    rejected: int = Field(description="records the reader could not split into fields (quarantined)")
    problems: dict[str, int] = Field(description="every problem found while cleaning -> rows")
    quality: QualityReportOut | None


ElementRef = Annotated[str, Field(max_length=64, pattern=r"^([a-z][a-z0-9_]*)?$")]
MappingKey = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")]


class CommitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mapping: dict[MappingKey, ElementRef | None] = Field(
        default={}, max_length=2000, json_schema_extra={"additionalProperties": False},
        description="column (or header) -> data element id, or null / \"\" for not mapped; columns left out keep "
                    "the suggestion")


class DatasetIn(BaseModel):
    """A new dataset: its warehouse code, names, owner department and update frequency."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=41, pattern=r"^[a-z][a-z0-9_]{1,40}$",
                      description="the warehouse table name: lower-case letters, digits, _")
    name: str = Field(min_length=1, max_length=200, pattern=NON_BLANK)
    name_en: str = Field(default="", max_length=200, pattern=NO_CONTROL)
    description: str = Field(default="", max_length=20_000, pattern=NO_CONTROL)
    department: Id32 | Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL)] = Field(
        description="the owner department's code (e.g. 330100-public_security) or id")
    update_frequency: Literal["实时", "每日", "每周", "每月", "每季度", "每年", "不定期"] = "不定期"
    key_columns: list[Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")]] = Field(
        default=[], max_length=50, description="headers whose empty value sends a row to quarantine")


def load_detail(load: Load) -> LoadDetailOut:
    report = load.report or {}
    quality = report.get("quality")
    suggestions = [SuggestionOut(column=c, **{k: v for k, v in (load.suggestions.get(c) or {}).items()
                                            if k in SuggestionOut.model_fields})
                   for c in load.columns if load.suggestions.get(c)]
    return LoadDetailOut(
        **warehouse.load_json(load), dataset=load.dataset.code, headers=list(load.headers),
        columns=list(load.columns), suggestions=suggestions, mapping=dict(load.mapping or {}),
        rejected=int(report.get("rejected") or 0), problems=dict(report.get("problems") or {}),
        quality=QualityReportOut.model_validate(quality) if quality else None,
    )


# ---------------------------------------------------------------- routes

LoadId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "CSV, TSV, XLSX, JSON, NDJSON or Parquet; GBK and other encodings are "
                                        "detected"},
                "commit": {"type": "string", "enum": ["true", "false"],
                           "description": "true: commit at once with the suggested (or remembered) mapping"},
                "format": {"type": "string", "enum": list(FORMATS),
                           "description": "the format, when the file's name and content do not tell"},
            },
        }}},
    },
}


def ingestable(session: Session, actor: Actor, code: str) -> Dataset:
    """The dataset, once the caller may load files into it (checked before the upload is read)."""
    ds = ingest.get_dataset(session, code)
    require(actor, "dataset.ingest", ds)
    return ds


def stage_upload(session: Session, actor: Actor, code: str, upload: Upload, *, commit: bool = False,
                 fmt: str | None = None) -> Load:
    assert upload.path is not None
    if commit:
        return ingest.ingest(session, actor, code, upload.path, file_name=upload.file_name, file_format=fmt)
    return ingest.stage(session, actor, code, upload.path, file_name=upload.file_name, file_format=fmt)


@router.post("/datasets", response_model=DatasetOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Create a dataset (with its IRS catalogue entry): its department's data steward, or an admin")
def create_dataset(session: DB, actor: CurrentActor, body: DatasetIn) -> DatasetOut:
    if session.scalar(select(Dataset.id).where(Dataset.code == body.code)) is not None:
        raise Conflict(f"dataset {body.code} exists", key="dataset_exists", dataset=body.code)
    ds = ingest.ensure_dataset(session, actor, ingest.DatasetSpec(
        code=body.code, name=body.name.strip(), department=body.department, name_en=body.name_en.strip(),
        description=body.description.strip(), update_frequency=body.update_frequency,
        key_columns=list(body.key_columns)))
    session.flush()
    return dataset_out(session, actor, ds.code)


@router.post("/datasets/{code}/loads", response_model=LoadDetailOut, status_code=status.HTTP_201_CREATED,
             responses=UPLOAD, openapi_extra=UPLOAD_BODY,
             summary="Hand in a file (归集): staged with mapping suggestions, or committed at once with commit=true")
async def upload_file(request: Request, session: DB, actor: CurrentActor, code: DatasetCode) -> LoadDetailOut:
    await run_in_threadpool(ingestable, session, actor, code)
    upload = await receive_upload(request, max_bytes=request.app.state.settings.max_upload_bytes)
    try:
        commit, fmt = flag(upload.fields, "commit"), file_format(upload.fields)
        load = await run_in_threadpool(stage_upload, session, actor, code, upload, commit=commit, fmt=fmt)
        return await run_in_threadpool(load_detail, load)
    finally:
        await run_in_threadpool(upload.discard)


def _load(session: Session, actor: Actor, load_id: int) -> Load:
    load = ingest.get_load(session, load_id)
    warehouse.get(session, actor, load.dataset.code)  # whoever may see the dataset may see its loads
    return load


@router.get("/loads/{load_id}", response_model=LoadDetailOut, responses=READ_ONE,
            summary="A load: its mapping suggestions (staged) or its report (committed)")
def get_load(session: DB, actor: CurrentActor, load_id: LoadId) -> LoadDetailOut:
    return load_detail(_load(session, actor, load_id))


@router.post("/loads/{load_id}/commit", response_model=LoadDetailOut, responses=WRITE,
             summary="Confirm a staged load's mapping: clean, quarantine, classify, check quality, publish")
def commit_load(session: DB, actor: CurrentActor, load_id: LoadId, body: CommitIn | None = None) -> LoadDetailOut:
    mapping = {k: (v or None) for k, v in (body.mapping if body else {}).items()}
    return load_detail(ingest.commit(session, actor, load_id, mapping))


@router.post("/loads/{load_id}/discard", response_model=LoadDetailOut, responses=WRITE,
             summary="Discard a staged load")
def discard_load(session: DB, actor: CurrentActor, load_id: LoadId) -> LoadDetailOut:
    return load_detail(ingest.discard(session, actor, load_id))

