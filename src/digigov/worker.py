"""The platform's background work, one entry point for the web server and `digigov worker`:
deliver bus events to their consumers, run the deadline monitor of the case engine, run the
early-warning rules and compute the indicators whose cron schedule is due.

`tick` does one round (tests and the CLI call it directly); `start` runs rounds on a background
scheduler (APScheduler) every `interval` seconds until `stop`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from digigov.apps import registry as apps
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.db import unit_of_work
from digigov.core.settings import get_settings
from digigov.platform.cases import supervision

log = logging.getLogger("digigov.worker")


def wire() -> None:
    """Register what this process runs: the installed apps (case types, consumers) and the platform's
    own consumers (signals → cases, event rules)."""
    from digigov.platform.bundles import service as bundles
    from digigov.platform.entities import service as entities
    from digigov.platform.exchange import feed
    from digigov.platform.rules import service as rules

    apps.load()
    supervision.register_consumers()
    rules.register_consumers()
    feed.register_consumers()
    entities.register_consumers()
    bundles.register_consumers()  # 一件事 follows its items' cases (case.accept / return / respond)


@dataclass
class TickResult:
    delivered: int = 0
    pruned: int = 0  # delivered events past the retention, deleted from the outbox
    scan: dict[str, int] = field(default_factory=dict)
    rules: int = 0
    indicators: int = 0
    jobs: dict[str, int] = field(default_factory=dict)  # the apps' periodic jobs (apps.periodic_jobs)
    errors: list[str] = field(default_factory=list)


def tick(factory: sessionmaker[Session], *, now: datetime | None = None) -> TickResult:
    """One round of background work; each part in its own transaction, failures logged and reported."""
    from digigov.platform.indicators import service as indicators
    from digigov.platform.rules import service as rules

    now = now or utcnow()
    out = TickResult()
    try:
        with unit_of_work(factory) as session:
            out.scan = vars(supervision.scan(session, now=now))
    except Exception as exc:  # a bad case must not stop the other work
        log.exception("deadline monitor failed")
        out.errors.append(f"scan: {exc}")
    for name, job in (("rules", rules.run_due), ("indicators", indicators.compute_due)):
        try:
            result: Any = job(factory, now)
            setattr(out, name, len(result) if hasattr(result, "__len__") else int(result or 0))
        except Exception as exc:
            log.exception("%s failed", name)
            out.errors.append(f"{name}: {exc}")
    for name, job in apps.periodic_jobs():
        try:
            out.jobs[name] = int(job(factory, now) or 0)
        except Exception as exc:
            log.exception("%s failed", name)
            out.errors.append(f"{name}: {exc}")
    try:
        out.delivered = bus.drain(factory)
    except Exception as exc:
        log.exception("bus delivery failed")
        out.errors.append(f"bus: {exc}")
    retention = get_settings().bus_retention_days
    if retention:
        try:
            with unit_of_work(factory) as session:
                out.pruned = bus.prune(session, timedelta(days=retention), now=now)["events"]
        except Exception as exc:
            log.exception("outbox pruning failed")
            out.errors.append(f"prune: {exc}")
    return out


def drain_backlog(factory: sessionmaker[Session], progress: Any = None, *, batch: int = 500) -> int:
    """Deliver every pending event now, in batches, reporting `progress(done, total)`: after a bulk load
    (the demo build, an import) so that the first requests do not queue behind the in-process worker."""
    with factory() as s:
        total = sum(bus.consumer_lag(s).values())
    done = 0
    if progress is not None:
        progress(0, total)
    while True:
        n = bus.drain(factory, limit=batch)
        done += n
        if progress is not None:
            progress(done, max(total, done))
        if n == 0:
            return done


class Worker:
    def __init__(self, factory: sessionmaker[Session], interval: float = 5.0) -> None:
        self.factory = factory
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.scheduler.add_job(lambda: tick(factory), "interval", seconds=interval, id="tick",
                               max_instances=1, coalesce=True)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
