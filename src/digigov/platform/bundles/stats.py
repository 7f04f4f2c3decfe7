"""Ratings (好差评) and savings per bundle: applications, completions, the on-time rate against the bundle's promise,
the average working days taken, the average rating with its distribution and the good rate (4-5 stars), next to
what the bundle saves against applying for its items one by one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core import workdays
from digigov.platform.bundles import service
from digigov.platform.bundles.merge import Figures
from digigov.platform.bundles.model import BundleApplication, BundleDefinition


@dataclass
class BundleStats:
    code: str
    name: str
    name_en: str
    audience: str
    lifecycle: str
    applications: int = 0
    completed: int = 0
    on_time: int = 0
    days_total: int = 0
    ratings: dict[int, int] = field(default_factory=lambda: {n: 0 for n in range(1, 6)})
    comments: list[tuple[int, str]] = field(default_factory=list)  # (stars, comment), newest first
    before: Figures | None = None
    after: Figures | None = None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def average_rating(self) -> float | None:
        return sum(n * c for n, c in self.ratings.items()) / self.rated if self.rated else None

    @property
    def good_rate(self) -> float | None:
        return (self.ratings[4] + self.ratings[5]) / self.rated if self.rated else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def average_days(self) -> float | None:
        return self.days_total / self.completed if self.completed else None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "audience": self.audience, "lifecycle": self.lifecycle,
                "applications": self.applications, "completed": self.completed, "on_time_rate": self.on_time_rate,
                "average_days": self.average_days, "ratings": {str(k): v for k, v in self.ratings.items()},
                "rated": self.rated, "average_rating": self.average_rating, "good_rate": self.good_rate,
                "before": self.before.as_dict() if self.before else None,
                "after": self.after.as_dict() if self.after else None}


def per_bundle(session: Session) -> list[BundleStats]:
    """Every published bundle's figures (bundles withdrawn since keep none on this page)."""
    cal = workdays.load_calendar(session)
    out: dict[int, BundleStats] = {}
    for d in session.scalars(select(BundleDefinition).where(BundleDefinition.status == "published")
                             .order_by(BundleDefinition.audience, BundleDefinition.id)):
        form = service.merged(session, d)
        out[d.id] = BundleStats(d.code, d.name, d.name_en, d.audience, d.lifecycle, before=form.before,
                                after=form.after)
    if not out:
        return []
    rows = session.execute(select(
        BundleApplication.bundle_id, BundleApplication.status, BundleApplication.submitted_at,
        BundleApplication.completed_at, BundleApplication.due_at, BundleApplication.rating,
        BundleApplication.rating_comment).where(BundleApplication.bundle_id.in_(list(out)))
        .order_by(BundleApplication.rated_at.desc().nulls_last(), BundleApplication.id.desc())).all()
    for bundle_id, status, submitted, completed, due, rating, comment in rows:
        s = out[bundle_id]
        s.applications += 1
        if status == "completed" and completed is not None:
            s.completed += 1
            s.on_time += int(due is None or completed <= due)
            s.days_total += workdays.workdays_between(cal, submitted, completed)
        if rating is not None and 1 <= rating <= 5:
            s.ratings[rating] += 1
            if comment and len(s.comments) < 5:
                s.comments.append((rating, comment))
    return list(out.values())
