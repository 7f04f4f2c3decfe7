"""The demo province as the department files were drawn from it (its generator's truth), and the maker that draws
the pilot villages' records from one seeded generator: who lives in which household, whose social insurance which
firm pays, who is the cadre behind the agriculture ledgers' villages. Only the demo generator reads this; the
application's rules see the departments' files as loaded into the warehouse."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from openpyxl import load_workbook

from digigov.apps.party_governance.grassroots_power_supervision.datasets import DATASETS
from digigov.demo.govdata.reference import REF_DATE, World, surnames, vocab, weighted

PILOT_COUNTIES = ("330182", "330109")  # 建德市 (the Jiande case), 萧山区 (the Xiaoshan contract-fee rule)
TOWNS_PER_COUNTY = 2
VILLAGES_PER_TOWN = 3
SIZES = {"small": 1, "medium": 2, "large": 3}  # background records per village, as a multiple
LEDGER_DATE = REF_DATE  # 台账截止日期: the day the ledgers stand at
ACTIVE = ("存续", "在业")
TENDER_THRESHOLD = 50_000  # 元: purchases at or above go to tender (the rule's default `threshold`)
ZH_POSTS = {"secretary": "党组织书记", "director": "村委会主任", "member": "村委会委员", "accountant": "村报账员",
            "both": "党组织书记、村委会主任"}


@dataclass(frozen=True)
class Person:
    key: str
    citizen_id: str
    name: str
    gender: str
    birth: dt.date
    county: str
    mobile: str
    household: str
    relation: str
    death: dt.date | None

    def age(self, on: dt.date = REF_DATE) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@dataclass(frozen=True)
class Firm:
    key: str
    uscc: str
    name: str
    kind: str
    county: str
    construction: bool
    status: str
    industry: str
    rep_key: str

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Village:
    county: str
    town: str
    village: str

    @property
    def place(self) -> list[str]:
        return [self.county, self.town, self.village]


@dataclass
class Plant:
    """A planted anomaly (`twin` False: the rule must flag it) or its near-miss twin (True: it must not)."""

    rule: str
    twin: bool
    dataset: str
    keys: list[str]  # the rows' business keys (the rule's evidence keys)
    village: list[str]  # county, town, village
    note: str


class WorldView:
    """The demo province as the department files were drawn from it (read from the generator's truth)."""

    def __init__(self, world_dir: Path, seed: int) -> None:
        truth = world_dir / "truth"
        self.world = World(seed)
        self.people: dict[str, Person] = {}
        for r in pq.read_table(truth / "people.parquet").to_pylist():
            self.people[r["person_key"]] = Person(
                r["person_key"], r["citizen_id"], r["name"], r["gender"], r["birth_date"], r["county"],
                r["mobile"] or "", r["household"], r["relation"], r["death_date"])
        self.households: dict[str, list[Person]] = defaultdict(list)
        for p in self.people.values():
            self.households[p.household].append(p)
        self.firms: dict[str, Firm] = {}
        for r in pq.read_table(truth / "enterprises.parquet").to_pylist():
            self.firms[r["enterprise_key"]] = Firm(r["enterprise_key"], r["uscc"], r["name"], r["kind"], r["county"],
                                                   bool(r["construction"]), r["status"], r["industry"],
                                                   r["legal_rep_key"] or "")
        # ties of a person to enterprises: social insurance paid by it, legal representative of it
        self.ties: dict[str, set[str]] = defaultdict(set)
        self.clean_contribution: set[tuple[str, str]] = set()
        for r in pq.read_table(truth / "hr_contribution.parquet").to_pylist():
            if r["person_key"] and r["enterprise_key"]:
                self.ties[r["person_key"]].add(r["enterprise_key"])
                if not r["noise"]:
                    self.clean_contribution.add((r["person_key"], r["enterprise_key"]))
        for f in self.firms.values():
            if f.rep_key:
                self.ties[f.rep_key].add(f.key)
        self.clean_register = clean_people(truth, "ps_household")
        self.clean_death = clean_people(truth, "ca_death")
        self.registered = {r["person_key"] for r in pq.read_table(truth / "ps_household.parquet").to_pylist()}
        self.ledger_cadres = self._ledger_cadres(world_dir, truth)

    def _ledger_cadres(self, world_dir: Path, truth: Path) -> dict[Village, str]:
        """The cadre (村干部) of each village in the agriculture ledgers: the official behind its rows, where the
        row's place columns came through without noise."""
        found: dict[Village, str] = {}
        projects = json.loads((world_dir / "ag_village_project.json").read_text(encoding="utf-8"))
        meta = pq.read_table(truth / "ag_village_project.parquet").to_pylist()
        for row, t in zip(projects, meta, strict=True):
            if t["official_key"] and not set(t["noise_fields"]) & {"所属村", "乡镇", "县区代码"}:
                found.setdefault(Village(str(row["县区代码"]), str(row["乡镇"]), str(row["所属村"])), t["official_key"])
        book = load_workbook(world_dir / "ag_village_contract.xlsx", read_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headers = list(next(rows))
        meta = pq.read_table(truth / "ag_village_contract.parquet").to_pylist()
        at = {h: headers.index(h) for h in ("村(社区)", "乡镇(街道)", "县区代码")}
        for values, t in zip(rows, meta, strict=False):
            if t["official_key"] and not set(t["noise_fields"]) & set(at):
                found.setdefault(Village(str(values[at["县区代码"]]), str(values[at["乡镇(街道)"]]),
                                         str(values[at["村(社区)"]])), t["official_key"])
        book.close()
        return found


def clean_people(truth: Path, name: str) -> set[str]:
    bad: set[str] = set()
    good: set[str] = set()
    for r in pq.read_table(truth / f"{name}.parquet").to_pylist():
        key = r["person_key"]
        if not key:
            continue
        (bad if r["noise"] or r["duplicate_of"] is not None else good).add(key)
    return good - bad


class Maker:
    """Draws the pilot villages' records; every choice from one seeded generator, in a fixed order."""

    def __init__(self, view: WorldView, seed: int, size: str) -> None:
        self.v = view
        self.rng = random.Random(f"{seed}:grassroots_supervision")
        self.scale = SIZES.get(size, 1)
        self.rows: dict[str, list[list[Any]]] = {code: [] for code in DATASETS}
        self.plants: list[Plant] = []
        self.used: set[str] = set()  # people already given a role that must stay apart from others
        self.cadres: dict[Village, list[tuple[Person, str]]] = {}
        self.shares: dict[str, list[tuple[Person, float]]] = defaultdict(list)  # firm key -> natural shareholders
        self.serial: dict[str, int] = defaultdict(int)
        self.plant_firms: set[str] = set()  # firms a plant uses: background records leave them alone
        self.paid: set[tuple[str, str, str]] = set()  # (person, kind, period) already paid
        self.sheets: dict[str, int] = defaultdict(int)  # labour sheets per person
        self._near: dict[tuple[str, int, int], list[Person]] = {}
        self.surnames, self.surname_weights = surnames()
        words = vocab()
        self.male = words["given_male"] + words["given_neutral"]
        self.female = words["given_female"] + words["given_neutral"]
        self.prefixes = words["mobile_prefixes"]
        self.works: list[str] = words["village_works"]

    # ------------------------------------------------------------------ helpers

    def next_no(self, prefix: str) -> str:
        self.serial[prefix] += 1
        return f"{prefix}{self.serial[prefix]:05d}"

    def name(self) -> str:
        surname = weighted(self.rng, self.surnames, self.surname_weights)
        chars = self.male if self.rng.random() < 0.6 else self.female
        return surname + "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))

    def mobile(self) -> str:
        return f"{self.rng.choice(self.prefixes)}{self.rng.randrange(10**8):08d}"

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def alive(self, p: Person, on: dt.date = REF_DATE) -> bool:
        return p.death is None or p.death > on

    def people_near(self, county: str, *, low: int = 18, high: int = 75) -> list[Person]:
        """Living adults, those of the county first, then of its city, then anyone (sorted: deterministic)."""
        key = (county, low, high)
        if key not in self._near:
            everyone = sorted(self.v.people.values(), key=lambda p: p.key)
            fit = [p for p in everyone if p.death is None and low <= p.age() <= high and p.key in self.v.registered]
            self._near[key] = ([p for p in fit if p.county == county]
                               + [p for p in fit if p.county[:4] == county[:4] and p.county != county]
                               + [p for p in fit if p.county[:4] != county[:4]])
        return self._near[key]

    def household_of(self, p: Person) -> list[Person]:
        return self.v.households.get(p.household, [p])

    def interested(self, village: Village) -> set[str]:
        """The village's cadres and everyone in their households."""
        out: set[str] = set()
        for cadre, _post in self.cadres.get(village, []):
            out.update(m.key for m in self.household_of(cadre))
        return out

    def tied_firms(self, village: Village) -> set[str]:
        out: set[str] = set()
        for key in self.interested(village):
            out |= self.v.ties.get(key, set())
        for firm, holders in self.shares.items():
            if any(h.key in self.interested(village) for h, _ in holders):
                out.add(firm)
        return out

    def free_firms(self, village: Village, *, construction: bool | None, avoid: Iterable[str] = ()) -> list[Firm]:
        """Active firms with no tie to the village's cadres or their households (builders, or not)."""
        tied, skip = self.tied_firms(village), set(avoid) | self.plant_firms
        return [f for f in sorted(self.v.firms.values(), key=lambda f: f.key)
                if f.active and f.key not in tied and f.key not in skip
                and (construction is None or f.construction == construction)
                and (not f.construction or f.kind == "company")]

    def pick_person(self, county: str, *, avoid: set[str], low: int = 18, high: int = 75,
                    register_clean: bool = False) -> Person:
        pool = [p for p in self.people_near(county, low=low, high=high)
                if p.key not in avoid and p.key not in self.used
                and (not register_clean or p.key in self.v.clean_register)]
        head = pool[: max(8, len(pool) // 3)]  # the nearest third, drawn at random
        return self.rng.choice(head)

    def plant(self, rule: str, twin: bool, dataset: str, keys: list[str], village: Village, note: str) -> None:
        self.plants.append(Plant(rule, twin, dataset, keys, village.place, note))
