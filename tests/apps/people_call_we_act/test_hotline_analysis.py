"""Hot words, hot-word trends, spikes and hot spots over demo tickets."""

from datetime import date, timedelta

import pytest

from digigov.apps.digital_society.people_call_we_act import analysis, corpus
from digigov.apps.digital_society.people_call_we_act.corpus import LOCAL

START = date(2026, 1, 5)
DAYS = 112


@pytest.fixture(scope="module")
def planted() -> list[corpus.TicketRecord]:
    return corpus.generate_tickets(start=START, days=DAYS, seed=11, spikes=corpus.default_spikes(START))


@pytest.fixture(scope="module")
def flat() -> list[corpus.TicketRecord]:
    return corpus.generate_tickets(start=START, days=DAYS, seed=11)


def _window(tickets: list[corpus.TicketRecord], first: date, days: int) -> list[corpus.TicketRecord]:
    return [t for t in tickets if first <= t.created_at.astimezone(LOCAL).date() < first + timedelta(days=days)]


def test_planted_spike_found(planted: list[corpus.TicketRecord]) -> None:
    housing = corpus.default_spikes(START)[0]
    found = analysis.spikes(planted)
    assert [s.category for s in found] == ["housing_management"]
    spike = found[0]
    assert abs((spike.window_start - housing.start).days) <= 2
    assert 150 <= spike.change_pct <= 330  # planted +235 %
    assert spike.label.startswith("房产管理 +") and spike.count >= 40


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_no_spike_on_a_flat_corpus(seed: int) -> None:
    tickets = corpus.generate_tickets(start=START, days=DAYS, seed=seed)
    assert analysis.spikes(tickets) == []


def test_spike_thresholds_are_parameters(planted: list[corpus.TicketRecord]) -> None:
    assert analysis.spikes(planted, min_ratio=5.0) == []
    assert analysis.spikes(planted, min_count=500) == []
    short = analysis.spikes(planted, window_days=3, baseline_days=28)
    assert "water_outage" in {s.category for s in short}  # the three-day burst


def test_hot_words(planted: list[corpus.TicketRecord], flat: list[corpus.TicketRecord]) -> None:
    housing = corpus.default_spikes(START)[0]
    words = dict(analysis.hot_words(_window(planted, housing.start, housing.days), top=10))
    assert "新政" in words and "开发商" in words
    assert "新政" not in dict(analysis.hot_words(_window(flat, housing.start, housing.days), top=50))
    overall = [w for w, _ in analysis.hot_words(planted, top=30)]
    assert not {"市民", "来电", "反映", "希望", "拱墅区", "米市巷街道", "杭州"} & set(overall)
    assert all(len(w) >= 2 and not any(c.isdigit() for c in w) for w in overall)
    assert analysis.hot_words(planted, since=START + timedelta(days=DAYS)) == []


def test_hot_word_trend(planted: list[corpus.TicketRecord]) -> None:
    housing = corpus.default_spikes(START)[0]
    trend = analysis.hot_word_trend(planted, ["新政", "停水"], freq="week")
    weeks = [w for w, _ in trend["新政"]]
    assert weeks[0] == START and len(weeks) == DAYS // 7
    busy = {w for w, n in trend["新政"] if n > 0}
    assert busy and all(housing.start - timedelta(days=6) <= w < housing.start + timedelta(days=14) for w in busy)
    burst_week = corpus.default_spikes(START)[1].start - timedelta(days=corpus.default_spikes(START)[1].start.weekday())
    assert max(trend["停水"], key=lambda p: p[1])[0] == burst_week
    months = analysis.hot_word_trend(planted, ["新政"], freq="month")["新政"]
    assert [m for m, _ in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    with pytest.raises(ValueError):
        analysis.hot_word_trend(planted, ["新政"], freq="year")


def test_hot_spots(planted: list[corpus.TicketRecord]) -> None:
    burst = corpus.default_spikes(START)[1]
    during = _window(planted, burst.start, burst.days)
    top = analysis.hot_spots(during, category="water_outage", top=3)
    assert (top[0].county_code, top[0].street) == (burst.county_code, burst.street) and top[0].count >= 15
    assert top[0].count > 3 * top[1].count
    grid = analysis.hot_spots(during, cell="grid", grid_m=1000, category="water_outage")
    assert grid[0].street == burst.street and abs(grid[0].lon - 120.161) < 0.02
    every = analysis.hot_spots(planted)
    assert sum(h.count for h in every) == len(planted)
    assert every == sorted(every, key=lambda h: -h.count)


def test_records_as_mappings(planted: list[corpus.TicketRecord]) -> None:
    rows = [{"text": t.text, "category": t.category, "created_at": t.created_at.replace(tzinfo=None),
             "county_code": t.county_code, "street": t.street, "lon": t.lon, "lat": t.lat} for t in planted]
    assert [s.category for s in analysis.spikes(rows)] == ["housing_management"]
    assert analysis.hot_spots(rows, top=1) == analysis.hot_spots(planted, top=1)
