"""A rule's text (YAML or a dict), checked: the spec of an early-warning rule (预警规则).

    code: noise.repeat_complaints          # lower-case letters, digits, . _ -
    name: 同一小区噪音投诉多发             # Chinese name; name_en optional
    kind: sql                              # sql (batch, over the warehouse) | event (CEL, over bus events)
    severity: orange                       # red | orange | yellow | blue, or `column`: each row's `severity`
    department: 330100-housing             # department code, or `column`: each row's `department_code`
    case_type: noise_complaint             # the case type a signal should open (optional)
    subject: community                     # the result column (sql) naming what the warning is about
    title: "{community}：{n}起噪音投诉"     # formatted from the row; {n} = rows behind the signal
    schedule: "0 2 * * *"                  # 5-field cron in Beijing time (sql rules)
    sql: SELECT community, count(*) AS n FROM clean."complaints__v1" GROUP BY 1 HAVING count(*) > 3

An event rule has `subjects` (a bus subject pattern), `condition` (CEL over `event`, the payload) and an
optional `window: {group_by, days, threshold}`: a signal when at least `threshold` matching events with
the same group key happen within `days`. `group_by` is a payload key or a CEL expression.

SQL is checked with DuckDB's own parser (exactly one SELECT/WITH statement); CEL with cel-python's
compiler; cron with APScheduler's CronTrigger. Errors are InvalidInput with key `rule_invalid`.
"""

from __future__ import annotations

import json
import re
import string
import threading
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import celpy
import duckdb
import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from digigov.core import bus
from digigov.core.errors import InvalidInput
from digigov.core.i18n import register

SCHEDULE_TZ = ZoneInfo("Asia/Shanghai")  # schedules are written in Beijing time
CODE_RE = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
PAYLOAD_KEY = re.compile(r"^\w{1,100}$")
SeverityLit = Literal["red", "orange", "yellow", "blue", "column"]

register({
    "error.rule_invalid": ("预警规则“{rule}”无效：{problem}", "Rule {rule} is invalid: {problem}"),
    "error.rule_not_found": ("没有预警规则“{rule}”", "No rule {rule}"),
    "error.signal_not_found": ("没有这条预警", "No such signal"),
    "error.rule_disabled": ("预警规则“{rule}”未启用", "Rule {rule} is not enabled"),
    "error.rule_kind": ("预警规则“{rule}”不是批量规则，不能按计划运行", "Rule {rule} is not a batch (sql) rule"),
    "error.rule_app_owned": ("预警规则“{rule}”由应用“{app}”提供", "Rule {rule} is shipped by application {app}"),
    "error.rule_run_failed": ("预警规则“{rule}”运行失败：{problem}", "Rule {rule} failed: {problem}"),
})


def invalid(rule: str, problem: str) -> InvalidInput:
    return InvalidInput(f"rule {rule}: {problem}", key="rule_invalid", rule=rule, problem=problem)


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_by: str = Field(min_length=1, max_length=500)
    days: float = Field(gt=0, le=366)
    threshold: int = Field(ge=1, le=100_000, strict=True)


class RuleSpec(BaseModel):
    """One rule, validated. `severity`/`department` may be `column` (taken from each result row)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_RE)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    kind: Literal["sql", "event"]
    severity: SeverityLit = "yellow"
    department: str | None = Field(default=None, min_length=1, max_length=64)
    case_type: str | None = Field(default=None, min_length=1, max_length=64)
    subject: str | None = Field(default=None, min_length=1, max_length=100)
    title: str = Field(default="", max_length=300)
    schedule: str | None = Field(default=None, min_length=9, max_length=64)
    enabled: bool = False
    app: str | None = Field(default=None, min_length=1, max_length=80)
    sql: str | None = Field(default=None, min_length=1, max_length=20_000)
    subjects: str | None = Field(default=None, min_length=1, max_length=200)
    condition: str | None = Field(default=None, min_length=1, max_length=4000)
    window: Window | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> RuleSpec:
        if self.kind == "sql":
            if not self.sql:
                raise ValueError("a sql rule needs `sql`")
            if not self.subject:
                raise ValueError("a sql rule needs `subject` (the result column naming what the warning is about)")
            if self.subjects or self.condition or self.window:
                raise ValueError("`subjects`, `condition` and `window` belong to event rules")
        else:
            if not self.subjects or not self.condition:
                raise ValueError("an event rule needs `subjects` (bus subject pattern) and `condition` (CEL)")
            if self.sql or self.schedule:
                raise ValueError("`sql` and `schedule` belong to sql rules")
            if self.department == "column" or self.severity == "column":
                raise ValueError("an event rule takes its severity and department from the rule, not a column")
        return self


def parse(source: str | dict[str, Any]) -> tuple[RuleSpec, str]:
    """A rule from YAML text or a dict: (its checked spec, its text as YAML). Raises InvalidInput."""
    if isinstance(source, str):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise invalid("?", f"not YAML: {str(exc).splitlines()[0]}") from exc
    else:
        data = source
    if not isinstance(data, dict):
        raise invalid("?", "give one rule as a mapping (code, name, kind, ...)")
    name = str(data.get("code") or "?")[:80]
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "rule"
        raise invalid(name, f"{where}: {first.get('msg', 'invalid')}") from exc
    check(spec)
    text = source if isinstance(source, str) else dump(spec)
    return spec, text


def dump(spec: RuleSpec) -> str:
    return yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False)


def check(spec: RuleSpec) -> None:
    """What pydantic cannot see: the SQL, the CEL, the cron and the title template."""
    if spec.sql is not None:
        check_sql(spec.code, spec.sql)
    if spec.subjects is not None:
        try:
            bus.parse_patterns(spec.subjects)
        except InvalidInput as exc:
            raise invalid(spec.code, f"subjects: {exc.message}") from exc
    if spec.condition is not None:
        compile_cel(spec.code, spec.condition)
    if spec.window is not None and not PAYLOAD_KEY.match(spec.window.group_by):
        compile_cel(spec.code, spec.window.group_by)
    if spec.schedule is not None:
        cron(spec.code, spec.schedule)
    for _text, field, _fmt, _conv in string.Formatter().parse(spec.title) if spec.title else ():
        if field is not None and (field == "" or any(c in field for c in ".[]")):
            raise invalid(spec.code, f"title: use plain column names in braces, not {{{field}}}")


_parser_lock = threading.Lock()
_parser: duckdb.DuckDBPyConnection | None = None


@lru_cache(maxsize=4096)
def _parse_sql(sql: str) -> tuple[str, str]:
    """(the statement, "") when `sql` is one plain SELECT, else ("", the problem). Parsing needs no data:
    one in-memory DuckDB serves every call (behind a lock; connections are not shared between threads)."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect()
        try:
            statements = _parser.extract_statements(sql)
        except duckdb.Error as exc:
            return "", f"SQL does not parse: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return "", f"give exactly one SQL statement, not {len(statements)}"
    stmt = statements[0]
    if stmt.type != duckdb.StatementType.SELECT:
        return "", f"only a SELECT (or WITH … SELECT) may be a rule, not {stmt.type.name}"
    if stmt.named_parameters:
        return "", "the SQL may not have parameters"
    return str(stmt.query).strip().rstrip(";"), ""


def check_sql(code: str, sql: str) -> str:
    """The one read-only statement of a sql rule (SELECT or WITH … SELECT), as DuckDB parsed it."""
    statement, problem = _parse_sql(sql)
    if problem:
        raise invalid(code, problem)
    return statement


@lru_cache(maxsize=1024)
def _cel_program(expr: str) -> celpy.Runner:
    env = celpy.Environment()
    return env.program(env.compile(expr))


def compile_cel(code: str, expr: str) -> celpy.Runner:
    """The compiled CEL program of `expr` (compiled once per process, then cached)."""
    try:
        return _cel_program(expr)
    except celpy.CELParseError as exc:
        problem = " ".join(str(exc).split())
        raise invalid(code, f"CEL does not compile: {problem}") from exc
    except Exception as exc:  # noqa: BLE001 - cel-python raises several kinds on bad input
        raise invalid(code, f"CEL does not compile: {exc}") from exc


def evaluate_cel(program: celpy.Runner, payload: dict[str, Any]) -> Any:
    """`program` on an event payload; an evaluation error (a missing key…) counts as no match (None)."""
    try:
        value = program.evaluate({"event": celpy.json_to_cel(payload)})
    except (celpy.CELEvalError, TypeError, ValueError, KeyError):
        return None
    if isinstance(value, celpy.CELEvalError):
        return None
    return value


def cron(code: str, expr: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expr, timezone=SCHEDULE_TZ)
    except ValueError as exc:
        raise invalid(code, f"schedule is not a 5-field cron expression: {exc}") from exc


def next_fire(expr: str, after: datetime) -> datetime | None:
    """The first time the schedule fires strictly after `after`."""
    trigger = cron("schedule", expr)
    return trigger.get_next_fire_time(None, (after + timedelta(seconds=1)).astimezone(SCHEDULE_TZ))


def format_title(template: str, values: dict[str, Any], fallback: str) -> str:
    """The title from its template; a missing name keeps its braces so the gap is visible."""
    if not template:
        return fallback[:300]

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Keep(values))[:300]
    except (ValueError, IndexError, TypeError):
        return template[:300]


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it (dates as ISO text)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
