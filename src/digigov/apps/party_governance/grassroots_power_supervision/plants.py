"""The planted anomalies, one per collision rule, each beside a near-miss twin that the rule must not flag; both
recorded (`Maker.plant`) for the tests in ``truth.json``."""

from __future__ import annotations

import contextlib
import datetime as dt

from digigov.apps.party_governance.grassroots_power_supervision.records import (
    labour_rows,
    lease,
    project_row,
    purchase,
    relief_row,
    roster_row,
    seal_row,
)
from digigov.apps.party_governance.grassroots_power_supervision.world import (
    LEDGER_DATE,
    ZH_POSTS,
    Maker,
    Person,
    Village,
)


def plant_all(m: Maker, villages: list[Village]) -> None:
    jd = [v for v in villages if v.county == "330182"]
    xs = [v for v in villages if v.county == "330109"]
    _jiande(m, jd[0], jd[1:3])
    _shareholding(m, xs[0])
    _relief_relative(m, xs[1])
    _relief_after_death(m, jd[3])
    _relief_duplicate(m, jd[4])
    _labour(m, xs[2])
    _procurement(m, jd[5])
    _lease_below(m, xs[3])
    _overdue(m, xs[4])
    _seal(m, jd[2], xs[5])
    _cadre_self(m, xs[5])


def _jiande(m: Maker, village: Village, others: list[Village]) -> None:
    """建德: the secretary gave five projects worth ¥1.32 million to the construction company that pays his
    pension insurance. Twin: the same company wins a project in a village where nobody is tied to it."""
    v = m.v

    def employers(key: str) -> list[str]:  # builders paying the person's insurance, the person not their owner
        return sorted(f for f in v.ties.get(key, set()) if (key, f) in v.clean_contribution
                      and v.firms[f].construction and v.firms[f].active and v.firms[f].rep_key != key)

    secretary, post = m.cadres[village][0]
    candidates = employers(secretary.key)
    if not candidates:  # make the secretary someone whose insurance a builder pays
        pool = sorted(p for p in v.people if employers(p) and v.people[p].death is None
                      and 28 <= v.people[p].age() <= 62 and p in v.clean_register and p not in m.used)
        old, secretary = secretary, v.people[m.rng.choice(pool)]
        m.used.update(x.key for x in m.household_of(secretary))
        m.cadres[village][0] = (secretary, post)
        m.rows["gps_village_cadre"] = [r for r in m.rows["gps_village_cadre"]
                                       if not (r[:3] == village.place and r[4] == old.citizen_id)]
        m.rows["gps_village_cadre"].append(roster_row(village, secretary, ZH_POSTS[post], dt.date(2021, 1, 8)))
        candidates = employers(secretary.key)
    firm = v.firms[candidates[0]]
    m.plant_firms.add(firm.key)
    amounts = (315_000, 288_000, 260_000, 242_000, 215_000)  # ¥1,320,000 in all
    days = (dt.date(2020, 4, 16), dt.date(2020, 9, 2), dt.date(2021, 1, 20), dt.date(2021, 4, 8),
            dt.date(2021, 6, 25))
    keys = [project_row(m, village, firm, a, d) for a, d in zip(amounts, days, strict=True)]
    m.plant("gps.project_cadre_interest", False, "gps_village_project", keys, village,
            f"村党组织书记{secretary.name}在{firm.name}缴纳养老保险，该企业承接本村5个工程，合计132万元")
    other = next(o for o in others if firm.key not in m.tied_firms(o))
    key = project_row(m, other, firm, 186_000, dt.date(2021, 3, 11))
    m.plant("gps.project_cadre_interest", True, "gps_village_project", [key], other,
            f"{firm.name}也承接了邻村工程，但邻村干部及其家庭成员与该企业无关联")


def _family(m: Maker, village: Village, posts: tuple[str, ...] = ("director", "both", "secretary")) -> tuple[
        Person, Person]:
    """A cadre of the village (by post preference) and a living adult of the cadre's household."""
    for want in posts:
        for cadre, post in m.cadres[village]:
            if post != want:
                continue
            kin = [x for x in m.household_of(cadre) if x.key != cadre.key and x.death is None and x.age() >= 18
                   and x.key in m.v.clean_register]
            if kin and cadre.key in m.v.clean_register:
                return cadre, kin[0]
    raise LookupError(f"no cadre of {village.village} lives with an adult relative")


def _namesake_family(m: Maker, cadre: Person, avoid: set[str]) -> Person:
    """Someone with the cadre's surname but of another household: looks related, is not."""
    surname = cadre.name[0]
    pool = [p for p in m.people_near(cadre.county, low=20) if p.name[0] == surname and p.household != cadre.household
            and p.key not in avoid and p.key not in m.used and p.key in m.v.clean_register]
    if not pool:
        pool = [p for p in m.people_near(cadre.county, low=20) if p.household != cadre.household
                and p.key not in avoid and p.key not in m.used and p.key in m.v.clean_register]
    p = pool[0]
    m.used.add(p.key)
    return p


def ensure_family(m: Maker, village: Village) -> None:
    """Give the village a director who lives with an adult relative, if none of its cadres does."""
    with contextlib.suppress(LookupError):  # a cadre already lives with an adult relative
        _family(m, village)
        return
    pool = [p for p in m.people_near(village.county, low=28, high=62) if p.key not in m.used
            and p.key in m.v.clean_register
            and any(x.key != p.key and x.death is None and x.age() >= 18 and x.key in m.v.clean_register
                    for x in m.household_of(p))]
    p = pool[0]
    m.used.update(x.key for x in m.household_of(p))
    crew = m.cadres[village]
    index = next(i for i, (_c, post) in enumerate(crew) if post in ("director", "both", "member"))
    old, post = crew[index]
    crew[index] = (p, post)
    m.rows["gps_village_cadre"] = [r for r in m.rows["gps_village_cadre"]
                                   if not (r[:3] == village.place and r[4] == old.citizen_id)]
    m.rows["gps_village_cadre"].append(roster_row(village, p, ZH_POSTS[post], dt.date(2021, 1, 8)))
    if post == "member":
        crew[index] = (p, "director")
        m.rows["gps_village_cadre"][-1][6] = ZH_POSTS["director"]


def _shareholding(m: Maker, village: Village) -> None:
    """A project awarded to a company in which the director's relative holds 40%. Twin: a company in which
    someone of the director's surname, of another household, holds shares."""
    ensure_family(m, village)
    director, kin = _family(m, village)
    firms = m.free_firms(village, construction=True)
    firm, other = firms[0], firms[1]
    m.plant_firms.update((firm.key, other.key))
    m.shares[firm.key].append((kin, 40.0))
    key = project_row(m, village, firm, 386_000, dt.date(2021, 5, 18), method="邀请招标")
    m.plant("gps.project_cadre_interest", False, "gps_village_project", [key], village,
            f"村委会主任{director.name}的同户家庭成员{kin.name}持有中标单位{firm.name}40%股份")
    namesake = _namesake_family(m, director, {kin.key})
    m.shares[other.key].append((namesake, 35.0))
    key = project_row(m, village, other, 274_000, dt.date(2021, 7, 6), method="公开招标")
    m.plant("gps.project_cadre_interest", True, "gps_village_project", [key], village,
            f"中标单位股东{namesake.name}与村委会主任同姓，但不同户，不是近亲属")


def _relief_relative(m: Maker, village: Village) -> None:
    """Relief paid to the household of the village secretary. Twin: to a villager of the same surname, of
    another household."""
    ensure_family(m, village)
    cadre, kin = _family(m, village, ("secretary", "both", "director"))
    keys = [relief_row(m, village, kin, "临时救助", "2021-05", 3000, dt.date(2021, 5, 20)),
            relief_row(m, village, kin, "临时救助", "2021-07", 2000, dt.date(2021, 7, 16))]
    m.plant("gps.relief_cadre_relative", False, "gps_relief_payment", keys, village,
            f"{cadre.name}（村干部）的同户家庭成员{kin.name}领取临时救助")
    namesake = _namesake_family(m, cadre, {kin.key})
    key = relief_row(m, village, namesake, "临时救助", "2021-06", 2500, dt.date(2021, 6, 18))
    m.plant("gps.relief_cadre_relative", True, "gps_relief_payment", [key], village,
            f"领取人{namesake.name}与村干部同姓但不同户")


def _relief_after_death(m: Maker, village: Village) -> None:
    """A subsidy still paid after the recipient's death was registered. Twin: paid to someone who died
    later, for a month while alive."""
    v = m.v
    dead = sorted((p for p in v.people.values() if p.death and p.key in v.clean_death), key=lambda p: (p.death, p.key))
    early = next(p for p in dead if p.death and p.death < dt.date(2021, 5, 1))
    late = next(p for p in reversed(dead) if p.key != early.key)
    assert early.death is not None and late.death is not None
    m.used.update((early.key, late.key))
    keys = [relief_row(m, village, early, "高龄津贴" if early.age(early.death) >= 80 else "残疾人两项补贴",
                        f"2021-{month:02d}", 200, dt.date(2021, month, 10)) for month in (6, 7)]
    m.plant("gps.relief_after_death", False, "gps_relief_payment", keys, village,
            f"{early.name}已于{early.death.isoformat()}死亡，2021年6、7月仍发放补贴")
    paid = late.death - dt.timedelta(days=25)
    key = relief_row(m, village, late, "残疾人两项补贴", f"{paid.year}-{paid.month:02d}", 200, paid)
    m.plant("gps.relief_after_death", True, "gps_relief_payment", [key], village,
            f"{late.name}于{late.death.isoformat()}死亡，补贴发放于生前")


def _relief_duplicate(m: Maker, village: Village) -> None:
    """The same person paid twice for the same month, in two batches. Twin: paid in two different months."""
    avoid = m.interested(village)
    z = m.pick_person(village.county, avoid=avoid, low=30)
    m.used.add(z.key)
    keys = [relief_row(m, village, z, "残疾人两项补贴", "2021-06", 260, dt.date(2021, 6, 10),
                        f"{village.town}2021-06批次"),
            relief_row(m, village, z, "残疾人两项补贴", "2021-06", 260, dt.date(2021, 6, 28),
                        f"{village.town}2021-06补发批次")]
    m.plant("gps.relief_duplicate", False, "gps_relief_payment", keys, village,
            f"{z.name}同一所属期（2021-06）领取两次残疾人两项补贴")
    z2 = m.pick_person(village.county, avoid=avoid, low=30)
    m.used.add(z2.key)
    keys = [relief_row(m, village, z2, "残疾人两项补贴", "2021-06", 260, dt.date(2021, 6, 10)),
            relief_row(m, village, z2, "残疾人两项补贴", "2021-07", 260, dt.date(2021, 7, 9))]
    m.plant("gps.relief_duplicate", True, "gps_relief_payment", keys, village, f"{z2.name}按月领取，不同所属期")


def _labour(m: Maker, village: Village) -> None:
    """One payee on six labour sheets in a year (the rule's default: five or more). Twin: on four."""
    avoid = m.interested(village)
    frequent, near = (m.pick_person(village.county, avoid=avoid, low=25, high=65) for _ in range(2))
    m.used.update((frequent.key, near.key))
    tasks = ("村道保洁", "河道清理", "绿化养护", "防汛值守", "文化礼堂布置", "垃圾分类督导")
    keys_a, keys_b = [], []
    for i, task in enumerate(tasks):
        sheet = m.next_no(f"YG{village.county}2021")
        crew = [frequent] + ([near] if i < 4 else [])
        labour_rows(m, village, sheet, task, dt.date(2021, 1 + i, 6 + i), crew)
        keys_a.append(f"{sheet}:{frequent.name}")
        if i < 4:
            keys_b.append(f"{sheet}:{near.name}")
    m.plant("gps.labour_same_payee", False, "gps_labour_sheet", keys_a, village,
            f"{frequent.name}在2021年6张用工单上领取劳务费")
    m.plant("gps.labour_same_payee", True, "gps_labour_sheet", keys_b, village,
            f"{near.name}在4张用工单上领取劳务费，未达阈值")


def _procurement(m: Maker, village: Village) -> None:
    """Three purchases from one supplier within three weeks, each below the tender threshold, together above
    it. Twins: the same pattern spread over months; two purchases that stay below the threshold together."""
    firms = [f for f in m.free_firms(village, construction=False) if f.kind == "company"]
    split, spread, small = firms[0], firms[1], firms[2]
    m.plant_firms.update((split.key, spread.key, small.key))
    keys = [purchase(m, village, split, "村道路灯灯具", 18_600, dt.date(2021, 6, 3)),
            purchase(m, village, split, "村道路灯线缆及配件", 19_800, dt.date(2021, 6, 12)),
            purchase(m, village, split, "路灯安装辅材", 17_500, dt.date(2021, 6, 24))]
    m.plant("gps.procurement_split", False, "gps_procurement", keys, village,
            f"{split.name}三周内三笔采购均低于5万元招标限额，合计55,900元")
    keys = [purchase(m, village, spread, "办公用品", 16_000, dt.date(2021, 2, 1)),
            purchase(m, village, spread, "办公用品", 16_000, dt.date(2021, 3, 20)),
            purchase(m, village, spread, "办公用品", 16_000, dt.date(2021, 5, 6))]
    m.plant("gps.procurement_split", True, "gps_procurement", keys, village,
            f"{spread.name}三笔采购间隔均超过30天")
    keys = [purchase(m, village, small, "防汛物资", 12_000, dt.date(2021, 7, 2)),
            purchase(m, village, small, "防汛物资补充", 15_000, dt.date(2021, 7, 11))]
    m.plant("gps.procurement_split", True, "gps_procurement", keys, village,
            f"{small.name}两笔采购合计27,000元，未达招标限额")


def _lease_below(m: Maker, village: Village) -> None:
    """Eighty mu of farmland let at a third of the local market rate. Twin: let at 70% of it."""
    avoid = m.interested(village)
    a, b = (m.pick_person(village.county, avoid=avoid, low=30) for _ in range(2))
    m.used.update((a.key, b.key))
    key = lease(m, village, f"{village.village}东畈耕地", "耕地", "亩", 80, 24_000, 950, a, dt.date(2021, 3, 1), 5,
                 "协议出租")
    m.plant("gps.lease_below_market", False, "gps_asset_lease", [key], village,
            "80亩耕地年租金24,000元，折每亩300元，当地参考价每亩950元（32%）")
    key = lease(m, village, f"{village.village}西畈耕地", "耕地", "亩", 60, 40_000, 950, b, dt.date(2021, 3, 1), 5)
    m.plant("gps.lease_below_market", True, "gps_asset_lease", [key], village,
            "60亩耕地年租金40,000元，折每亩667元，为参考价的70%")


def _overdue(m: Maker, village: Village) -> None:
    """萧山: a contract fee overdue by more than two months. Twins: overdue by 52 days; overdue once but paid."""
    avoid = m.interested(village)
    a, b, c = (m.pick_person(village.county, avoid=avoid, low=30) for _ in range(3))
    m.used.update((a.key, b.key, c.key))
    no = lease(m, village, f"{village.village}集体鱼塘", "鱼塘", "亩", 30, 36_000, 1_300, a, dt.date(2020, 6, 1), 3)
    m.rows["gps_contract_payment"].append([m.next_no(f"TZ{village.county}"), no, "集体鱼塘承包合同", *village.place,
                                           "承包费", "收", a.name, "第2期", "2021-05-31", "36000.00", "",
                                           "0.00", LEDGER_DATE.isoformat()])
    m.plant("gps.contract_payment_overdue", False, "gps_contract_payment", [no], village,
            f"{a.name}承包的集体鱼塘第2期承包费36,000元应于2021-05-31缴纳，逾期92天未缴")
    no = lease(m, village, f"{village.village}集体厂房", "集体房屋", "平方米", 600, 72_000, 130, b,
                dt.date(2020, 7, 10), 3)
    m.rows["gps_contract_payment"].append([m.next_no(f"TZ{village.county}"), no, "集体厂房租赁合同", *village.place,
                                           "租金", "收", b.name, "第2期", "2021-07-10", "72000.00", "",
                                           "0.00", LEDGER_DATE.isoformat()])
    m.plant("gps.contract_payment_overdue", True, "gps_contract_payment", [no], village, "租金逾期52天，未满两个月")
    no = lease(m, village, f"{village.village}山林", "山林", "亩", 120, 18_000, 160, c, dt.date(2020, 4, 30), 5)
    m.rows["gps_contract_payment"].append([m.next_no(f"TZ{village.county}"), no, "山林承包合同", *village.place,
                                           "承包费", "收", c.name, "第2期", "2021-04-30", "18000.00", "2021-08-20",
                                           "18000.00", LEDGER_DATE.isoformat()])
    m.plant("gps.contract_payment_overdue", True, "gps_contract_payment", [no], village,
            "承包费曾逾期，已于2021-08-20缴清")


def _seal(m: Maker, unapproved: Village, selfish: Village) -> None:
    """A seal used with no approval; one approved by its own applicant. Twin: approved by another cadre half
    an hour before use."""
    a = m.cadres[unapproved][1][0]
    key = seal_row(m, unapproved, a.name, "出具土地流转证明", dt.datetime(2021, 7, 14, 15, 20), "", None)
    m.plant("gps.seal_unapproved", False, "gps_seal_use", [key], unapproved, "用印未经审批")
    b = m.cadres[selfish][0][0]
    key = seal_row(m, selfish, b.name, "签订工程结算单", dt.datetime(2021, 6, 2, 10, 5), b.name,
                    dt.datetime(2021, 6, 2, 10, 0))
    m.plant("gps.seal_unapproved", False, "gps_seal_use", [key], selfish, "申请人自己审批用印")
    c, d = m.cadres[unapproved][0][0], m.cadres[unapproved][-1][0]
    key = seal_row(m, unapproved, d.name, "出具低保家庭情况证明", dt.datetime(2021, 8, 3, 9, 40), c.name,
                    dt.datetime(2021, 8, 3, 9, 10))
    m.plant("gps.seal_unapproved", True, "gps_seal_use", [key], unapproved, "另一村干部于用印前30分钟审批")


def _cadre_self(m: Maker, village: Village) -> None:
    """A collective fishpond let to the village director himself. Twin: to a villager of his surname, of
    another household."""
    ensure_family(m, village)
    director, _kin = _family(m, village)
    key = lease(m, village, f"{village.village}南塘鱼塘", "鱼塘", "亩", 25, 30_000, 1_250, director,
                 dt.date(2021, 2, 1), 5, "协议出租")
    m.plant("gps.contract_cadre_self", False, "gps_asset_lease", [key], village,
            f"集体鱼塘出租给村委会主任{director.name}本人")
    namesake = _namesake_family(m, director, set())
    key = lease(m, village, f"{village.village}北塘鱼塘", "鱼塘", "亩", 20, 25_000, 1_250, namesake,
                 dt.date(2021, 2, 1), 5)
    m.plant("gps.contract_cadre_self", True, "gps_asset_lease", [key], village,
            f"承租人{namesake.name}与村委会主任同姓但不同户")
