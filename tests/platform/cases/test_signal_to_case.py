"""Rule → signal → case, over the bus: a batch rule's signals open cases of the type it names, assigned to
the department its rows name; a second signal about the same subject is noted on the open case instead
of opening another; once that case is closed, a new signal opens a new case. The signal learns its case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from case_helpers import TYPE
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digigov.core import bus
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.platform.cases import queries, service, supervision
from digigov.platform.cases.model import Case
from digigov.platform.rules import events
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Signal

ROWS = [("翠苑一区", "330106-urban_management"), ("翠苑一区", "330106-urban_management"),
        ("翠苑一区", "330106-urban_management"), ("文新社区", "330106-housing"), ("文新社区", "330106-housing"),
        ("文新社区", "330106-housing"), ("古荡新村", "330106-housing")]


def rule(code: str, threshold: int = 3) -> dict[str, object]:
    return {"code": code, "name": "同一小区噪音投诉多发", "kind": "sql", "severity": "red", "department": "column",
            "case_type": TYPE.code, "subject": "community", "title": "{community}：{n}起噪音投诉",
            "schedule": "0 2 * * *", "enabled": True,
            "sql": "SELECT community, count(*) AS n, max(department_code) AS department_code FROM topic.noise "
                   f"GROUP BY community HAVING count(*) >= {threshold} ORDER BY community"}


@pytest.fixture
def factory(connection: object) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's connection, as the bus worker would open them."""
    bus.reset_registry()
    supervision.register_consumers()
    events.register_consumers()
    yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                       expire_on_commit=False)
    bus.reset_registry()


def test_signals_open_cases_deduplicated_by_subject(session: Session, factory: sessionmaker[Session],
                                                    actor_of) -> None:  # type: ignore[no-untyped-def]
    with get_warehouse().connect() as con:
        con.execute("CREATE TABLE topic.noise (community VARCHAR, department_code VARCHAR)")
        con.executemany("INSERT INTO topic.noise VALUES (?, ?)", ROWS)
    op = Actor.operator()
    rules.save_rule(session, op, rule("noise.three"))
    rules.run_rule(session, op, "noise.three")
    session.commit()
    bus.drain(factory)
    session.expire_all()
    opened = session.scalars(select(Case).where(Case.type_code == TYPE.code).order_by(Case.subject_key)).all()
    assert [(c.subject_key, c.department.code if c.department else None, c.status, c.colour) for c in opened] == [
        ("文新社区", "330106-housing", "assigned", "red"),
        ("翠苑一区", "330106-urban_management", "assigned", "red"),
    ]
    signals = {s.subject_key: s for s in session.scalars(select(Signal))}
    assert {signals[c.subject_key].case_id for c in opened} == {c.id for c in opened}  # each signal knows its case

    # another rule about the same communities (and one more): only 古荡新村 is new
    rules.save_rule(session, op, rule("noise.one", threshold=1))
    rules.run_rule(session, op, "noise.one")
    session.commit()
    bus.drain(factory)
    session.expire_all()
    by_subject = {c.subject_key: c for c in session.scalars(select(Case).where(Case.type_code == TYPE.code))}
    assert sorted(by_subject) == ["古荡新村", "文新社区", "翠苑一区"]
    noted = [e.action for e in queries.history(session, by_subject["翠苑一区"])]
    assert noted.count("signal") == 1

    # once the case about 翠苑一区 is closed, a new signal about it opens a new case
    case = by_subject["翠苑一区"]
    dispatcher, officer = actor_of("hz_hotline_dispatcher"), actor_of("xh_urban_officer")
    service.respond(session, officer, case.id, "已整改")
    service.attach(session, officer, case.id, filename="现场.jpg", content=b"\xff\xd8", kind="evidence")
    service.verify(session, dispatcher, case.id, passed=True)
    service.rate(session, dispatcher, case, "satisfied")
    session.execute(Signal.__table__.update().where(Signal.subject_key == "翠苑一区").values(status="closed"))
    rules.save_rule(session, op, rule("noise.again", threshold=2))
    rules.run_rule(session, op, "noise.again")
    session.commit()
    bus.drain(factory)
    session.expire_all()
    again = session.scalars(select(Case).where(Case.type_code == TYPE.code, Case.subject_key == "翠苑一区")
                            .order_by(Case.id)).all()
    assert [c.status for c in again] == ["closed", "assigned"]
