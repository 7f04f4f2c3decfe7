"""Statistics of cross-province applications: by item, by city and by direction (outgoing: accepted at
this city's windows for another city; incoming: handled here for another city's window).

For each group: how many applications, how many have a result, how many of those came within the legal
time limit (`due_at`, working days from acceptance at the competent city), the on-time rate, and the
average days from submission at the window to the result (calendar days, one decimal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.digital_government.cross_province_services import catalogue
from digigov.apps.digital_government.cross_province_services.model import XpsApplication
from digigov.identity.actor import Actor
from digigov.identity.permissions import require


@dataclass
class Figures:
    total: int = 0
    done: int = 0  # with a result
    approved: int = 0
    on_time: int = 0
    failed: int = 0  # waiting for another send attempt
    _days: list[float] = field(default_factory=list, repr=False)

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.done, 4) if self.done else None

    @property
    def average_days(self) -> float | None:
        return round(sum(self._days) / len(self._days), 1) if self._days else None

    def add(self, row: Any) -> None:
        self.total += 1
        self.failed += row.status in ("send_failed", "result_failed")
        if row.result_at is not None:
            self.done += 1
            self.approved += row.result == "approved"
            self.on_time += row.due_at is not None and row.result_at <= row.due_at
            self._days.append((row.result_at - row.submitted_at).total_seconds() / 86400)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "done": self.done, "approved": self.approved, "on_time": self.on_time,
                "failed": self.failed, "on_time_rate": self.on_time_rate, "average_days": self.average_days}


def compute(session: Session, actor: Actor) -> dict[str, Any]:
    """{"overall", "by_direction", "by_item", "by_city"}: each a mapping of key -> figures (as dicts)."""
    require(actor, "xps.view")
    a = XpsApplication
    rows = session.execute(select(a.direction, a.item_code, a.origin_city, a.target_city, a.status, a.result,
                                  a.submitted_at, a.due_at, a.result_at)).all()
    overall = Figures()
    by_direction: dict[str, Figures] = {}
    by_item: dict[str, Figures] = {}
    by_city: dict[str, dict[str, Figures]] = {}
    for row in rows:
        other = row.target_city if row.direction == "out" else row.origin_city
        for figures in (overall, by_direction.setdefault(row.direction, Figures()),
                        by_item.setdefault(row.item_code, Figures()),
                        by_city.setdefault(other, {}).setdefault(row.direction, Figures())):
            figures.add(row)
    items = catalogue.items()
    cities = catalogue.cities()
    return {
        "overall": overall.as_dict(),
        "by_direction": {d: f.as_dict() for d, f in sorted(by_direction.items())},
        "by_item": [{"item": code, "name": items[code].name if code in items else code,
                     "name_en": items[code].name_en if code in items else code, **f.as_dict()}
                    for code, f in sorted(by_item.items(), key=lambda kv: (-kv[1].total, kv[0]))],
        "by_city": [{"city": code, "name": cities[code].name if code in cities else code,
                     "name_en": cities[code].name_en if code in cities else code,
                     "out": d.get("out", Figures()).as_dict(), "in": d.get("in", Figures()).as_dict()}
                    for code, d in sorted(by_city.items())],
    }
