"""The bundle's BPMN process (processes/bundle.bpmn) run by SpiffWorkflow, its state kept on the application.

`start(items)` fans out: one ready instance of the multi-instance task `handle_item` per item. `finish_item`
completes an item's instance with its outcome; when the last one completes the engine passes the join, runs the
`combine` script and waits at `rate`. `rate` completes the process. The state is SpiffWorkflow's own JSON
serialisation (the definition is small: it travels with the instance), written in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from digigov.core.errors import Conflict
from digigov.platform.cases import process as engine

PROCESSES = Path(__file__).parent / "processes"
BUNDLE = PROCESSES / "bundle.bpmn"
BUNDLE_ID = "bundle"
ITEM = PROCESSES / "bundle_item.bpmn"
ITEM_ID = "bundle_item"
FAN_OUT = "handle_item"
RATE = "rate"

_SERIALIZER = BpmnWorkflowSerializer()
_ENGINE = engine.ModellerScriptEngine()


@dataclass(frozen=True)
class State:
    waiting_items: tuple[str, ...]  # items whose instance is still waiting
    joined: bool  # every item finished: the combined result is known
    result: str  # approved / partial / refused once joined
    outcomes: tuple[str, ...]
    completed: bool  # rated: the process has ended


def start(items: list[str]) -> BpmnWorkflow:
    """A new instance for `items`, run up to the fan-out (one ready instance per item)."""
    wf = BpmnWorkflow(engine.definition(BUNDLE, BUNDLE_ID).spec, script_engine=_ENGINE)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data["items"] = list(items)
    wf.do_engine_steps()
    return wf


def dump(wf: BpmnWorkflow) -> str:
    return str(_SERIALIZER.serialize_json(wf))


def load(text: str) -> BpmnWorkflow:
    if not text:
        raise Conflict("the application has no process state", key="bundle_no_workflow")
    wf = _SERIALIZER.deserialize_json(text)
    wf.script_engine = _ENGINE
    return wf


def _ready(wf: BpmnWorkflow, name: str) -> list[Any]:
    return [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == name]


def state(wf: BpmnWorkflow) -> State:
    waiting = tuple(str(t.data.get("item")) for t in _ready(wf, FAN_OUT))
    rate = _ready(wf, RATE)
    data: dict[str, Any] = rate[0].data if rate else (wf.data if wf.is_completed() else {})
    joined = bool(rate) or wf.is_completed()
    return State(waiting, joined, str(data.get("result", "")) if joined else "",
                 tuple(str(o) for o in data.get("outcomes", ())) if joined else (), wf.is_completed())


def finish_item(wf: BpmnWorkflow, item: str, outcome: str) -> State:
    """Complete the instance of `item` with `outcome`; the engine joins when it was the last one."""
    task = next((t for t in _ready(wf, FAN_OUT) if t.data.get("item") == item), None)
    if task is None:
        raise Conflict(f"item {item} is not waiting", key="bundle_item_not_waiting", item=item)
    task.data["outcome"] = outcome
    task.run()
    wf.do_engine_steps()
    return state(wf)


def rate(wf: BpmnWorkflow, stars: int) -> State:
    tasks = _ready(wf, RATE)
    if not tasks:
        raise Conflict("the application is not waiting for a rating", key="bundle_not_ratable")
    tasks[0].data["rating"] = stars
    tasks[0].run()
    wf.do_engine_steps()
    return state(wf)
