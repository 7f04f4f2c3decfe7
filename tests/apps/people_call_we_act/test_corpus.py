"""The demo ticket generator: deterministic, realistic rhythm, planted spikes, repeat calls."""

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from digigov.apps.digital_society.people_call_we_act import corpus, places, taxonomy, textsim
from digigov.apps.digital_society.people_call_we_act.corpus import LOCAL

START = date(2026, 1, 5)  # a Monday


@pytest.fixture(scope="module")
def tickets() -> list[corpus.TicketRecord]:
    return corpus.generate_tickets(start=START, days=91, seed=7)


def test_deterministic_for_a_seed(tickets: list[corpus.TicketRecord]) -> None:
    assert corpus.generate_tickets(start=START, days=91, seed=7) == tickets
    assert corpus.generate_tickets(start=START, days=91, seed=8) != tickets
    assert corpus.labelled_corpus(3, 200) == corpus.labelled_corpus(3, 200)


def test_records_are_well_formed(tickets: list[corpus.TicketRecord]) -> None:
    assert len(tickets) == corpus.PER_DAY * 91
    assert [t.created_at for t in tickets] == sorted(t.created_at for t in tickets)
    streets = {(s.county_code, s.name) for s in places.streets()}
    for t in tickets:
        assert t.created_at.utcoffset() == timedelta(0)
        assert START <= t.created_at.astimezone(LOCAL).date() < START + timedelta(days=91)
        assert (t.county_code, t.street) in streets
        assert t.true_department_kind == taxonomy.BY_CODE[t.category].department_kind
        assert t.channel in corpus.CHANNELS and re.fullmatch(r"1[3-9]\d{9}", t.phone)
        assert 2 <= len(t.caller_name) <= 3 and len(t.text) >= 10
    assert set(Counter(t.category for t in tickets)) == set(taxonomy.BY_CODE)
    assert set(Counter(t.channel for t in tickets)) == set(corpus.CHANNELS)


def test_texts_read_like_callers(tickets: list[corpus.TicketRecord]) -> None:
    texts = [t.text for t in tickets]
    assert sum(t.startswith(("市民来电", "来电人")) for t in texts) > len(texts) * 0.3
    assert sum("躁音" in t or "再" in t or "拉圾" in t or "以经" in t for t in texts) > 50  # typos, homophones
    assert sum(any(s.name in t or s.short in t for s in places.streets()) for t in texts) > len(texts) * 0.5


def test_weekly_and_daily_rhythm(tickets: list[corpus.TicketRecord]) -> None:
    local = [t.created_at.astimezone(LOCAL) for t in tickets]
    per_weekday = Counter(m.weekday() for m in local)
    weekday_mean = sum(per_weekday[d] for d in range(5)) / 5
    weekend_mean = (per_weekday[5] + per_weekday[6]) / 2
    assert weekend_mean < 0.7 * weekday_mean
    hours = Counter(m.hour for m in local)
    assert min(hours[h] for h in (9, 10, 14, 15, 16)) > 4 * max(hours[h] for h in range(0, 6))
    assert hours[10] > hours[12] and hours[15] > hours[12]


def test_planted_spike_adds_tickets() -> None:
    spikes = corpus.default_spikes(START)
    planted = corpus.generate_tickets(start=START, days=91, seed=7, spikes=spikes)
    housing = spikes[0]
    window = (housing.start, housing.start + timedelta(days=housing.days))

    def in_window(ts: list[corpus.TicketRecord], category: str) -> int:
        return sum(1 for t in ts if t.category == category
                   and window[0] <= t.created_at.astimezone(LOCAL).date() < window[1])

    base = corpus.generate_tickets(start=START, days=91, seed=7)
    assert in_window(planted, "housing_management") > 2.5 * in_window(base, "housing_management")
    burst = spikes[1]
    in_street = [t for t in planted if t.category == "water_outage" and t.street == burst.street
                 and burst.start <= t.created_at.astimezone(LOCAL).date() < burst.start + timedelta(days=burst.days)]
    assert len(in_street) >= 15


def test_repeat_calls_are_near_duplicates(tickets: list[corpus.TicketRecord]) -> None:
    repeats = [(i, t) for i, t in enumerate(tickets) if t.repeat_of is not None]
    assert len(tickets) * 0.015 < len(repeats) < len(tickets) * 0.05
    for i, t in repeats:
        original = tickets[t.repeat_of]
        assert t.repeat_of < i and original.category == t.category
        assert textsim.within_metres(t.lon, t.lat, original.lon, original.lat, 50)
        assert timedelta(0) < t.created_at - original.created_at <= timedelta(days=7)
        assert textsim.similar(t.text, original.text) >= 0.8
