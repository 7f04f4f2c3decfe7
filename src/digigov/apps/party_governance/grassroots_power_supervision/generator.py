"""The demo villages' records of the six matters, the village cadre roster and the enterprises' shareholders,
generated deterministically from a seed, consistent with the demo province's department data.

    generate(world_dir, out_dir, seed=2021, size="small") -> Generated

`world_dir` is where `digigov.demo.govdata.generate` wrote the departments' files; its ``truth/`` holds the
people and enterprises those files were drawn from. This generator reads that world (who lives where, who is
in which household, who pays whose social insurance, who is the cadre of the villages in the agriculture
ledgers) so that its records are about the same people and firms; the application itself never reads it: its
rules see only the departments' files as loaded into the warehouse.

Twelve pilot villages (two towns of 建德市 and two of 萧山区, three villages each) get a full roster and the
six matters' records. Each anomaly is planted once, with a near-miss twin that a rule must not flag; both are
listed in ``truth.json`` beside the files, for the tests. Background records are drawn so that they hit no
rule: winners and suppliers with no tie to the village's cadres or their households, payees on few sheets,
rents near the market rate, payments on time, seals approved beforehand by someone else.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from digigov.apps.party_governance.grassroots_power_supervision.datasets import DATASETS
from digigov.apps.party_governance.grassroots_power_supervision.plants import plant_all
from digigov.apps.party_governance.grassroots_power_supervision.records import (
    instalments,
    labour_rows,
    lease,
    project_row,
    purchase,
    relief_row,
    roster_row,
    seal_row,
)
from digigov.apps.party_governance.grassroots_power_supervision.world import (
    PILOT_COUNTIES,
    SIZES,
    TOWNS_PER_COUNTY,
    VILLAGES_PER_TOWN,
    ZH_POSTS,
    Maker,
    Person,
    Plant,
    Village,
    WorldView,
)
from digigov.demo.govdata.reference import World, surnames, vocab

__all__ = ["PILOT_COUNTIES", "SIZES", "TOWNS_PER_COUNTY", "VILLAGES_PER_TOWN", "Generated", "generate",
           "make_posts", "pilot_villages"]


@dataclass
class Generated:
    directory: Path
    files: dict[str, Path]
    rows: dict[str, int]
    plants: list[Plant]
    villages: list[Village]
    posts: list[dict[str, str]]
    roster: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # "county|town|village" -> cadres


def generate(world_dir: Path, out_dir: Path, *, seed: int = 2021, size: str = "small") -> Generated:
    """Write the application's nine files into `out_dir` and the planted anomalies into `out_dir/truth.json`.
    The same world, seed and size always give the same files."""
    view = WorldView(Path(world_dir), seed)
    m = Maker(view, seed, size)
    villages = pilot_villages(seed, view.world)
    _rosters(m, villages)
    _shareholders(m, villages)
    plant_all(m, villages)
    for village in villages:
        _background(m, village)
    _shareholder_rows(m)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for code, spec in DATASETS.items():
        path = files[code] = out_dir / spec.filename
        rows = sorted(m.rows[code], key=lambda r: [str(x) for x in r])
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(spec.headers)
            w.writerows(rows)
    posts = make_posts(seed, villages)
    roster = {"|".join(v.place): [{"name": p.name, "post": post} for p, post in m.cadres[v]] for v in villages}
    truth = {"seed": seed, "size": size, "villages": [v.place for v in villages],
             "plants": [asdict(p) for p in m.plants], "posts": posts, "roster": roster}
    (out_dir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Generated(out_dir, files, {c: len(r) for c, r in m.rows.items()}, m.plants, villages, posts, roster)

# ---------------------------------------------------------------------- villages, rosters, shareholders


def pilot_villages(seed: int, world: World | None = None) -> list[Village]:
    """The twelve pilot villages of the province of `seed` (the same whether or not its data was generated)."""
    world = world or World(seed)
    rng = random.Random(f"{seed}:grassroots_supervision:villages")
    out: list[Village] = []
    for code in PILOT_COUNTIES:
        county = world.by_code[code]
        towns = sorted((t for t in county.towns if sum(v.endswith("村") for v in t.villages) >= VILLAGES_PER_TOWN),
                       key=lambda t: (t.urban, t.name))
        rural = [t for t in towns if not t.urban] or towns
        for town in sorted(rng.sample(rural, TOWNS_PER_COUNTY), key=lambda t: t.name):
            names = sorted(v for v in town.villages if v.endswith("村"))
            out.extend(Village(code, town.name, v) for v in sorted(rng.sample(names, VILLAGES_PER_TOWN)))
    return out


def _rosters(m: Maker, villages: list[Village]) -> None:
    """The pilot villages' cadres (the ledgers' cadre as secretary where the village is in them), and the
    ledger villages' secretaries."""
    v = m.v
    elected = dt.date(2021, 1, 8)  # the 2020-2021 village elections (村社组织换届)
    for village, key in sorted(v.ledger_cadres.items(), key=lambda kv: kv[0].place):
        if village in villages:
            continue
        p = v.people[key]
        m.cadres[village] = [(p, "secretary")]
        m.rows["gps_village_cadre"].append(roster_row(village, p, ZH_POSTS["secretary"], elected))
    for village in villages:
        crew: list[tuple[Person, str]] = []
        known = v.ledger_cadres.get(village)
        taken: set[str] = set()
        if known:
            crew.append((v.people[known], "secretary"))
            taken |= {x.key for x in m.household_of(v.people[known])}
        posts = ["secretary", "director", "member", "accountant"] if not known else ["director", "member",
                                                                                       "accountant"]
        if not known and m.rng.random() < 0.4:
            posts = ["both", "member", "accountant"]  # 书记、主任“一肩挑”
        for post in posts:
            p = m.pick_person(village.county, avoid=taken, low=28, high=62, register_clean=True)
            m.used.add(p.key)
            taken |= {x.key for x in m.household_of(p)}
            crew.append((p, post))
        m.cadres[village] = crew
        for p, post in crew:
            m.used.add(p.key)
            m.rows["gps_village_cadre"].append(roster_row(village, p, ZH_POSTS[post], elected))
    for crew in m.cadres.values():
        for p, _post in crew:
            m.used.update(x.key for x in m.household_of(p))


def _shareholders(m: Maker, villages: list[Village]) -> None:
    """Natural-person shareholders of the companies: the legal representative, and now and then one or two
    more people who are nobody's cadre or relative in the villages."""
    v = m.v
    everyone = sorted((p for p in v.people.values() if p.death is None and p.age() >= 25), key=lambda p: p.key)
    for firm in sorted(v.firms.values(), key=lambda f: f.key):
        if firm.kind != "company":
            continue
        rep = v.people.get(firm.rep_key)
        others = [] if m.rng.random() < 0.55 else [m.rng.choice(everyone) for _ in range(m.rng.choice((1, 2)))]
        others = [p for p in others if p.key not in m.used and (rep is None or p.key != rep.key)]
        stake = round(m.rng.uniform(51, 100), 1) if others else 100.0
        if rep is not None:
            m.shares[firm.key].append((rep, stake))
        rest = round(100 - stake, 1)
        for i, p in enumerate(others):
            m.shares[firm.key].append((p, round(rest / len(others), 1) if i < len(others) - 1
                                       else round(rest - round(rest / len(others), 1) * (len(others) - 1), 1)))


def _shareholder_rows(m: Maker) -> None:
    for key, holders in sorted(m.shares.items()):
        firm = m.v.firms[key]
        capital = 10_000 * m.rng.choice((50, 100, 200, 300, 500, 1000))
        for p, pct in holders:
            m.rows["gps_shareholder"].append([firm.uscc, firm.name, p.name, "自然人", p.citizen_id,
                                              f"{capital * pct / 100:.2f}", f"{pct:g}"])

# ---------------------------------------------------------------------- background records (hit no rule)


def _background(m: Maker, village: Village) -> None:
    rng, n = m.rng, m.scale
    avoid = m.interested(village)
    builders = m.free_firms(village, construction=True)
    for _ in range(2 * n):
        firm = rng.choice(builders[:12])
        project_row(m, village, firm, rng.randrange(60, 600) * 1000, m.day(dt.date(2020, 3, 1), dt.date(2021, 7, 31)))
    # labour: a pool of villagers, each on at most two sheets in all
    pool = [m.pick_person(village.county, avoid=avoid, low=20, high=68) for _ in range(6 * n)]
    for _ in range(3 * n):
        crew = list({p.key: p for p in rng.sample(pool, min(3, len(pool))) if m.sheets[p.key] < 2}.values())
        if crew:
            labour_rows(m, village, m.next_no(f"YG{village.county}2021"), rng.choice(("道路养护", "公厕保洁",
                         "水渠疏浚", "苗木栽种", "防疫值守")), m.day(dt.date(2021, 1, 4), dt.date(2021, 8, 10)), crew)
    # relief: living villagers, one kind each, distinct months
    for _ in range(4 * n):
        p = m.pick_person(village.county, avoid=avoid, low=20, high=95)
        kind, amount = (("高龄津贴", 200) if p.age() >= 80 else rng.choice(
            (("残疾人两项补贴", 260), ("临时救助", 1500), ("耕地地力保护补贴", 380))))
        for month in sorted(rng.sample(range(1, 9), rng.choice((1, 2, 3)))):
            if (p.key, kind, f"2021-{month:02d}") in m.paid:
                continue
            relief_row(m, village, p, kind, f"2021-{month:02d}", amount, dt.date(2021, month, rng.randint(8, 20)))
    # procurement: small purchases, a different supplier each, months apart
    suppliers = m.free_firms(village, construction=False)
    for i, firm in enumerate(rng.sample(suppliers[:40], min(4 * n, len(suppliers[:40])))):
        purchase(m, village, firm, rng.choice(("办公用品", "保洁用品", "防疫物资", "宣传栏制作", "绿化苗木")),
                  rng.randrange(8, 90) * 100, dt.date(2021, 1, 5) + dt.timedelta(days=50 * i + rng.randint(0, 20)))
    # leases near the market rate, rent paid on time
    for _ in range(2 * n):
        lessee = m.pick_person(village.county, avoid=avoid, low=30)
        area = rng.choice((10, 15, 20, 30, 40))
        market = rng.choice((800, 900, 1000))
        rent = round(area * market * rng.uniform(0.85, 1.15), -2)
        start = m.day(dt.date(2019, 1, 1), dt.date(2021, 3, 1))
        field_name = f"{village.village}{rng.choice(('上畈', '下畈', '后山', '溪口'))}耕地"
        no = lease(m, village, field_name, "耕地", "亩", area, int(rent), market, lessee, start, rng.choice((3, 5)))
        instalments(m, village, no, "耕地承包合同", "承包费", "收", lessee.name, int(rent), start)
    # seals approved beforehand by another cadre
    crew = [p for p, _post in m.cadres[village]]
    for _ in range(3 * n):
        applicant, approver = rng.sample(crew, 2) if len(crew) > 1 else (crew[0], crew[0])
        if applicant.key == approver.key:
            continue
        used = dt.datetime.combine(m.day(dt.date(2021, 1, 4), dt.date(2021, 8, 27)), dt.time(rng.randint(8, 16),
                                                                                            rng.choice((0, 30))))
        seal_row(m, village, applicant.name, rng.choice(("出具居住证明", "村务公开材料盖章", "合同签订", "报账凭证")),
                  used, approver.name, used - dt.timedelta(minutes=rng.choice((20, 45, 90, 180))),
                  rng.choice(("村党组织印章", "村民委员会印章", "村股份经济合作社印章")))

# ---------------------------------------------------------------------- posts (notice recipients)


def make_posts(seed: int, villages: list[Village]) -> list[dict[str, str]]:
    """Town leaders and town discipline officials, each village's liaison-station head, each county's
    supervisor: the people the warnings' notices go to (names and phones made up)."""
    m = Maker.__new__(Maker)
    m.rng = random.Random(f"{seed}:grassroots_supervision:posts")
    m.surnames, m.surname_weights = surnames()
    words = vocab()
    m.male, m.female = words["given_male"] + words["given_neutral"], words["given_female"] + words["given_neutral"]
    m.prefixes = words["mobile_prefixes"]
    out: list[dict[str, str]] = []
    for county in PILOT_COUNTIES:
        out.append({"region_code": county, "town": "", "village": "", "post": "county_supervisor",
                    "name": m.name(), "phone": m.mobile()})
        for town in sorted({v.town for v in villages if v.county == county}):
            for post in ("town_leader", "town_discipline"):
                out.append({"region_code": county, "town": town, "village": "", "post": post, "name": m.name(),
                            "phone": m.mobile()})
            for v in (v for v in villages if v.county == county and v.town == town):
                out.append({"region_code": county, "town": town, "village": v.village, "post": "liaison_head",
                            "name": m.name(), "phone": m.mobile()})
    return out
