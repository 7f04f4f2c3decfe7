"""BPMN 2.0 processes run by SpiffWorkflow, with their state kept in the store.

A process file drawn in any modeller (bpmn.io, Camunda Modeler) is parsed as it is. Gateway conditions
are expressions over the task data; the `${...}` wrapping modellers write for Camunda is accepted and
unwrapped. The parsed definition is stored once per file digest (`case_process`); each case stores only
its instance state, so a restart between any two steps resumes where the case stood.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.errors import Conflict, InvalidInput
from digigov.platform.cases.model import Case, CaseProcess


class ModellerScriptEngine(PythonScriptEngine):
    """Evaluates gateway conditions, accepting the `${ … }` wrapping Camunda-style modellers write."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        expr = expression.strip()
        if expr.startswith("${") and expr.endswith("}"):
            expr = expr[2:-1].strip()
        return super().evaluate(task, expr, external_context)


class _InstanceConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter without the process definition: a case stores only its instance
    state, and the definition (stored once per digest, parsed once per process) is handed back on restore.
    Converting the definition on every step was most of the cost of a step."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)  # the instance attributes only
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        spec = dct.pop("spec")
        if isinstance(spec, dict):  # a definition as JSON (SpiffWorkflow's own format)
            spec = self.registry.restore(spec)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG,
                                                                        BpmnWorkflow: _InstanceConverter}))
_SPEC_SERIALIZER = BpmnWorkflowSerializer()  # SpiffWorkflow's own, for the definition stored per digest
_ENGINE = ModellerScriptEngine()


@dataclass(frozen=True)
class Definition:
    process_id: str
    digest: str
    spec: Any  # SpiffWorkflow's BpmnProcessSpec
    spec_json: str
    user_tasks: tuple[str, ...]


@cache
def _parse(path: str, process_id: str, digest: str) -> Definition:
    parser = BpmnParser()
    try:
        parser.add_bpmn_file(path)
        spec = parser.get_spec(process_id)
    except Exception as exc:  # the parser raises its own validation and lookup errors
        raise InvalidInput(f"BPMN file {Path(path).name}: {exc}", key="bpmn_invalid", detail=str(exc)) from exc
    spec_json = json.dumps(_SPEC_SERIALIZER.to_dict(BpmnWorkflow(spec))["spec"], ensure_ascii=False)
    tasks = tuple(
        name for name, ts in spec.task_specs.items() if type(ts).__name__ in ("UserTask", "ManualTask")
    )
    return Definition(process_id, digest, spec, spec_json, tasks)


def definition(path: Path, process_id: str) -> Definition:
    data = Path(path).read_bytes()
    return _parse(str(path), process_id, hashlib.sha256(data).hexdigest())


def process_row(session: Session, d: Definition) -> CaseProcess:
    """The stored copy of a definition (created on first use)."""
    row = session.scalar(
        select(CaseProcess).where(CaseProcess.process_id == d.process_id, CaseProcess.digest == d.digest)
    )
    if row is None:
        row = CaseProcess(process_id=d.process_id, digest=d.digest, spec=d.spec_json)
        session.add(row)
        session.flush()
    return row


def start(d: Definition) -> BpmnWorkflow:
    wf = BpmnWorkflow(d.spec, script_engine=_ENGINE)
    wf.do_engine_steps()
    return wf


_SPECS: dict[tuple[str, str], Any] = {}  # (process id, digest) -> the restored spec: content-addressed


def _spec_for(session: Session, ref: int | None) -> Any:
    row = session.execute(select(CaseProcess.process_id, CaseProcess.digest).where(CaseProcess.id == ref)).first()
    if row is None:
        raise Conflict("the case's process definition is missing", key="case_no_workflow")
    key = (row.process_id, row.digest)
    spec = _SPECS.get(key)
    if spec is None:
        text = session.scalar(select(CaseProcess.spec).where(CaseProcess.id == ref))
        spec = _SPECS[key] = _SPEC_SERIALIZER.registry.restore(json.loads(text or "{}"))
    return spec


def clear_caches() -> None:
    """Forget parsed definitions (what a restart does)."""
    _SPECS.clear()
    _parse.cache_clear()


def dump(wf: BpmnWorkflow, session: Session | None = None, case_id: int | None = None) -> str:
    """The instance state as JSON (without the spec). With a session and case id, the live workflow is
    kept for the rest of the transaction, so the next step of the same case skips deserialising it."""
    state = _SERIALIZER.to_dict(wf)
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    if session is not None and case_id is not None:
        session.info.setdefault("live_workflows", {})[case_id] = (text, wf)
    return text


def load(session: Session, case: Case) -> BpmnWorkflow:
    """The case's workflow as it was last stored."""
    if not case.workflow:
        raise Conflict(f"case {case.number} has no workflow state", key="case_no_workflow")
    live = session.info.get("live_workflows", {}).pop(case.id, None)  # the caller owns it until dump()
    if live is not None and live[0] == case.workflow:
        return live[1]
    state = json.loads(case.workflow)
    state["spec"] = _spec_for(session, case.process_ref)
    wf = _SERIALIZER.from_dict(state)
    wf.script_engine = _ENGINE
    return wf


def ready_task(wf: BpmnWorkflow, name: str) -> Any:
    for task in wf.get_tasks(state=TaskState.READY):
        if task.task_spec.name == name:
            return task
    return None


def complete(wf: BpmnWorkflow, name: str, data: dict[str, Any]) -> str | None:
    """Complete the ready user task `name` with `data`; run the engine; return the next waiting task."""
    task = ready_task(wf, name)
    if task is None:
        raise Conflict(f"step {name} is not waiting", key="case_step_not_waiting", step=name)
    task.data = {k: v for k, v in task.data.items() if k != "outcome"}
    task.data.update(data)
    task.run()
    wf.do_engine_steps()
    return next_step(wf)


def next_step(wf: BpmnWorkflow) -> str | None:
    ready = [t.task_spec.name for t in wf.get_tasks(state=TaskState.READY)]
    return ready[0] if ready else None


def reset_to(wf: BpmnWorkflow, name: str) -> str | None:
    """Rewind the workflow to the last run of task `name` (follow-up review reopens a closed case)."""
    runs = [t for t in wf.get_tasks() if t.task_spec.name == name]
    if not runs:
        raise Conflict(f"step {name} never ran", key="case_step_not_waiting", step=name)
    wf.reset_from_task_id(runs[-1].id)
    wf.do_engine_steps()
    return next_step(wf)
