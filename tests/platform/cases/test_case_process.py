"""Processes: a BPMN file as an external modeller (Camunda Modeler) saves it runs unchanged, with its
`${...}` conditions, extension elements and diagram; the stored state round-trips without the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from digigov.core.errors import Conflict, InvalidInput
from digigov.platform.cases import process

MODELLER_FILE = Path(__file__).parent / "data" / "modeller_inspection.bpmn"


def _run(outcomes: list[tuple[str, str]]) -> list[str | None]:
    d = process.definition(MODELLER_FILE, "Process_site_inspection")
    assert set(d.user_tasks) == {"Activity_dispatch", "Activity_inspect", "Activity_rectify"}
    wf = process.start(d)
    seen = [process.next_step(wf)]
    for step, outcome in outcomes:
        seen.append(process.complete(wf, step, {"outcome": outcome}))
    return seen


def test_modeller_file_runs_each_branch() -> None:
    assert _run([("Activity_dispatch", ""), ("Activity_inspect", "confirmed"), ("Activity_rectify", "")]) == [
        "Activity_dispatch", "Activity_inspect", "Activity_rectify", None]
    assert _run([("Activity_dispatch", ""), ("Activity_inspect", "unfounded")]) == [
        "Activity_dispatch", "Activity_inspect", None]
    assert _run([("Activity_dispatch", ""), ("Activity_inspect", "recheck"), ("Activity_dispatch", "")]) == [
        "Activity_dispatch", "Activity_inspect", "Activity_dispatch", "Activity_inspect"]


def test_completing_a_step_that_is_not_waiting_is_a_conflict() -> None:
    wf = process.start(process.definition(MODELLER_FILE, "Process_site_inspection"))
    with pytest.raises(Conflict):
        process.complete(wf, "Activity_rectify", {})


def test_a_broken_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text(MODELLER_FILE.read_text().replace("</bpmn:process>", ""), encoding="utf-8")
    with pytest.raises(InvalidInput):
        process.definition(bad, "Process_site_inspection")
    with pytest.raises(InvalidInput):
        process.definition(MODELLER_FILE, "no_such_process")
