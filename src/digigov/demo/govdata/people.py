"""The demo population, generated household by household: names by real surname frequency, ages,
birth counties, valid 公民身份号码 (citizen IDs, GB 11643), addresses, mobiles and deaths.

A household (户) shares a 户号 and an address; about a fifth of the people were born (their ID's county)
in another county than the one they live in.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from stdnum.cn import ric

from digigov.demo.govdata.reference import (
    REF_DATE,
    County,
    World,
    between,
    cumulative,
    pick,
    random_day,
    street_address,
    surnames,
    vocab,
    weighted,
)

MOVED_SHARE = 0.2  # people whose ID county differs from the county they live in
DEATH_WINDOW = (dt.date(2020, 1, 1), REF_DATE)  # deaths registered by civil affairs in the demo

# Zhejiang's age structure (7th census, 2020), in 5-year bands 0-4 ... 90-94, percent.
AGE_BANDS = (5.0, 5.3, 4.8, 4.3, 5.3, 7.4, 9.5, 8.0, 7.3, 8.2, 8.6, 7.5, 5.3, 5.3, 3.8, 2.2, 1.5, 0.9, 0.3)


@dataclass(slots=True)
class Person:
    index: int
    key: str  # P0000001
    name: str
    gender: str  # 男 / 女
    birth: dt.date
    birth_county: str  # the six-digit county code of the ID
    citizen_id: str
    county: County  # where the person lives now
    town: str
    village: str
    address: str  # 杭州市西湖区文新街道丰潭路128号 (below the province)
    mobile: str  # "" when none
    household: str  # 户号
    relation: str  # 户主 配偶 子 女 父亲 母亲
    death: dt.date | None = None
    employer: int = -1  # index of the enterprise paying the person's social insurance, -1 for none

    @property
    def age(self) -> int:
        return age_on(self.birth, REF_DATE)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def death_probability(age: int) -> float:
    """Chance of dying within the 20-month death window (Gompertz-shaped; about 1% overall)."""
    return min(0.6, 0.0006 + 0.068 * math.exp(0.095 * (age - 80)))


class PeopleFactory:
    """Makes households in sequence; the same seed always gives the same people in the same order."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rng = random.Random(f"{seed}:people")
        self.surnames, self.surname_weights = surnames()
        v = vocab()
        self.male_chars: str = v["given_male"] + v["given_neutral"]
        self.female_chars: str = v["given_female"] + v["given_neutral"]
        self.prefixes: list[str] = v["mobile_prefixes"]
        # household heads are adults, fewer of them in their early twenties
        self.head_ages = cumulative([0.0 if b < 4 else 0.4 * w if b == 4 else w for b, w in enumerate(AGE_BANDS)])
        self.ids: set[int] = set()
        self.household_serial: dict[str, int] = {}
        self.next_index = 0

    # ------------------------------------------------------------------ parts

    def surname(self) -> str:
        return weighted(self.rng, self.surnames, self.surname_weights)

    def given_name(self, gender: str) -> str:
        chars = self.male_chars if gender == "男" else self.female_chars
        if self.rng.random() < 0.18:
            return pick(self.rng, chars)
        return pick(self.rng, chars) + pick(self.rng, chars)

    def birth_date(self, age: int) -> dt.date:
        end = REF_DATE.replace(year=REF_DATE.year - age)
        start = REF_DATE.replace(year=REF_DATE.year - age - 1) + dt.timedelta(days=1)
        return random_day(self.rng, start, end)

    def citizen_id(self, county: str, birth: dt.date, gender: str) -> str:
        rng = self.rng
        while True:
            order = between(rng, 0, 99) * 10 + between(rng, 0, 4) * 2 + (gender == "男")
            body = f"{county}{birth:%Y%m%d}{order:03d}"
            packed = int(body)
            if packed not in self.ids:
                self.ids.add(packed)
                return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character

    def mobile(self) -> str:
        return f"{pick(self.rng, self.prefixes)}{between(self.rng, 0, 99_999_999):08d}"

    def head_age(self) -> int:
        band = weighted(self.rng, range(len(AGE_BANDS)), self.head_ages)
        return min(95, max(20, band * 5 + between(self.rng, 0, 4)))

    # ------------------------------------------------------------------ households

    def household(self, limit: int) -> list[Person]:
        """One household of at most ``limit`` people (the last household of the run may be cut short)."""
        rng = self.rng
        county = self.world.home(rng)
        town, village, rest = street_address(rng, county)
        serial = self.household_serial.get(county.code, 0) + 1
        self.household_serial[county.code] = serial
        number = f"{county.code}{serial:06d}"
        # (relation, gender, age, surname or "" for an own one)
        head_age = self.head_age()
        members: list[tuple[str, str, int, str]] = []
        married = rng.random() < (0.45 if head_age < 30 else 0.85 if head_age < 70 else 0.6)
        head_gender = ("男" if rng.random() < 0.78 else "女") if married else rng.choice("男女")
        head_surname = self.surname()
        members.append(("户主", head_gender, head_age, head_surname))
        family_surname = head_surname
        if married:
            spouse_gender = "女" if head_gender == "男" else "男"
            spouse_surname = self.surname()
            if spouse_gender == "男":
                family_surname = spouse_surname
            gap = max(-8, min(8, round(rng.gauss(-2 if head_gender == "男" else 2, 3))))
            spouse_age = min(95, max(20, head_age + gap))
            members.append(("配偶", spouse_gender, spouse_age, spouse_surname))
        if married and 22 <= head_age <= 62:
            for _ in range(rng.choices((0, 1, 2, 3), (18, 44, 32, 6))[0]):
                age = head_age - between(rng, 23, 35)
                if age >= 0 and (age < 25 or rng.random() < 0.3):
                    gender = rng.choice("男女")
                    members.append(("子" if gender == "男" else "女", gender, age, family_surname))
        if 32 <= head_age <= 62 and rng.random() < 0.12:
            gender = rng.choice("男女")
            members.append(("父亲" if gender == "男" else "母亲", gender, min(95, head_age + between(rng, 24, 33)), ""))
        people = []
        head_mobile = ""
        for relation, gender, age, surname in members[:limit]:
            born_county = county.code if rng.random() >= MOVED_SHARE else self.world.origin(rng, county.code).code
            birth = self.birth_date(age)
            # children share the head's number; some of the very old have none
            mobile = head_mobile if age < 16 else self.mobile() if age < 85 or rng.random() < 0.6 else ""
            if relation == "户主":
                head_mobile = mobile
            self.next_index += 1
            person = Person(
                index=self.next_index - 1,
                key=f"P{self.next_index:07d}",
                name=(surname or self.surname()) + self.given_name(gender),
                gender=gender,
                birth=birth,
                birth_county=born_county,
                citizen_id=self.citizen_id(born_county, birth, gender),
                county=county,
                town=town.name,
                village=village,
                address=county.prefix + rest,
                mobile=mobile,
                household=number,
                relation=relation,
            )
            if rng.random() < death_probability(age):
                person.death = random_day(rng, max(DEATH_WINDOW[0], birth), DEATH_WINDOW[1])
            people.append(person)
        return people
