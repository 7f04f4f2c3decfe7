"""One row of each of the application's files, as the pilot villages' ledgers record it (the planted anomalies and
the background records both write through these)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from digigov.apps.party_governance.grassroots_power_supervision.world import LEDGER_DATE, Firm, Maker, Person, Village


def roster_row(v: Village, p: Person, post: str, since: dt.date) -> list[Any]:
    return [*v.place, p.name, p.citizen_id, p.gender, post, since.isoformat(), p.mobile or ""]




def project_row(m: Maker, v: Village, firm: Firm, amount: int, awarded: dt.date, *, method: str = "",
                 title: str = "") -> str:
    no = m.next_no(f"GC{v.county}{awarded.year}")
    manager = m.cadres[v][0][0].name
    method = method or m.rng.choice(("公开招标", "邀请招标", "竞争性谈判", "村民代表会议议定"))
    tendered = awarded - dt.timedelta(days=m.rng.randint(12, 30))
    signed = awarded + dt.timedelta(days=m.rng.randint(3, 12))
    title = title or v.village + m.rng.choice(m.works)
    kind = "基础设施" if "道路" in title or "管网" in title or "水利" in title else "公共服务设施"
    m.rows["gps_village_project"].append([no, title, *v.place, kind, method, tendered.isoformat(), firm.name,
                                          firm.uscc, awarded.isoformat(), "HT" + no[2:], f"{amount:.2f}",
                                          signed.isoformat(), manager])
    instalments(m, v, "HT" + no[2:], title + "施工合同", "工程款", "付", firm.name, amount, signed)
    return no


def instalments(m: Maker, v: Village, contract: str, title: str, kind: str, direction: str, party: str,
                 amount: int, start: dt.date, *, late: dict[int, tuple[dt.date, dt.date | None]] | None = None) -> None:
    """Two or three instalments, paid on time unless `late` says otherwise ({stage: (due, paid or None)})."""
    stages = m.rng.choice((2, 3))
    for stage in range(1, stages + 1):
        due = start + dt.timedelta(days=45 * stage)
        if due > LEDGER_DATE and not (late and stage in late):
            break
        share = round(amount / stages)
        paid: dt.date | None = due - dt.timedelta(days=m.rng.randint(0, 10))
        if late and stage in late:
            due, paid = late[stage]
        m.rows["gps_contract_payment"].append([
            m.next_no(f"TZ{v.county}"), contract, title, *v.place, kind, direction, party, f"第{stage}期",
            due.isoformat(), f"{share:.2f}", paid.isoformat() if paid else "", f"{share if paid else 0:.2f}",
            LEDGER_DATE.isoformat()])


def relief_row(m: Maker, v: Village, p: Person, kind: str, period: str, amount: int, paid: dt.date,
                batch: str = "") -> str:
    m.paid.add((p.key, kind, period))
    no = m.next_no(f"FF{v.county}{period.replace('-', '')}")
    m.rows["gps_relief_payment"].append([no, *v.place, kind, p.name, p.citizen_id, period, f"{amount:.2f}",
                                         paid.isoformat(), batch or f"{v.town}{period}批次"])
    return no


def labour_rows(m: Maker, v: Village, sheet: str, task: str, day: dt.date, crew: list[Person]) -> None:
    for p in crew:
        m.sheets[p.key] += 1
        days = m.rng.randint(2, 6)
        wage = m.rng.choice((150, 160, 180, 200))
        m.rows["gps_labour_sheet"].append([sheet, *v.place, task, day.isoformat(), p.name, p.citizen_id, str(days),
                                           f"{wage:.2f}", f"{days * wage:.2f}",
                                           (day + dt.timedelta(days=days + 3)).isoformat(), m.cadres[v][-1][0].name])


def purchase(m: Maker, v: Village, firm: Firm, item: str, amount: int, day: dt.date, method: str = "询价") -> str:
    no = m.next_no(f"CG{v.county}{day.year}")
    m.rows["gps_procurement"].append([no, *v.place, item, method, firm.name, firm.uscc, f"{amount:.2f}",
                                      day.isoformat(), m.cadres[v][-1][0].name])
    return no


def lease(m: Maker, v: Village, asset: str, category: str, unit: str, area: float, rent: int, market: int,
           lessee: Person | Firm, start: dt.date, years: int, method: str = "公开竞价") -> str:
    no = m.next_no(f"ZL{v.county}")
    person = isinstance(lessee, Person)
    m.rows["gps_asset_lease"].append([
        no, *v.place, asset, category, unit, f"{area:g}", lessee.name, "个人" if person else "单位",
        lessee.citizen_id if isinstance(lessee, Person) else "", "" if isinstance(lessee, Person) else lessee.uscc,
        f"{rent:.2f}", f"{market:.2f}", start.isoformat(), start.replace(year=start.year + years).isoformat(),
        method])
    return no


def seal_row(m: Maker, v: Village, applicant: str, reason: str, used: dt.datetime, approver: str,
              approved: dt.datetime | None, seal: str = "村股份经济合作社印章") -> str:
    no = m.next_no(f"YY{v.county}")
    m.rows["gps_seal_use"].append([no, *v.place, seal, applicant, reason, used.strftime("%Y-%m-%d %H:%M"),
                                   approver, approved.strftime("%Y-%m-%d %H:%M") if approved else "",
                                   m.cadres[v][-1][0].name])
    return no
