"""The columns Splink compares, computed from mentions or files (pandas frames): a name's pinyin and surname,
an enterprise name without its legal form, the county of an address (cpca), a phone's national number, the
identifier's head and tail (a mistyped digit leaves one of them intact), birth date and gender read from an ID
where the record has none."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from digigov.platform.entities import normalize as nz


def _id_birth(value: str | None) -> str | None:
    code = (value or "").strip().upper()
    if len(code) != 18 or not code[:17].isdigit():
        return None
    try:
        return dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14])).isoformat()
    except ValueError:
        return None


def _id_gender(value: str | None) -> str | None:
    code = (value or "").strip()
    if len(code) != 18 or not code[16].isdigit():
        return None
    return "男" if int(code[16]) % 2 else "女"


def _counties(addresses: pd.Series) -> list[str | None]:
    values = addresses.fillna("").astype(str)
    unique = sorted(set(values) - {""})
    parsed = dict(zip(unique, (c or None for _p, _c, c in nz.address_parts(unique)), strict=True))
    return [parsed.get(v) for v in values]


def _clean(series: pd.Series) -> pd.Series:
    return series.where(series.notna() & (series.astype(str) != ""), None)


def person(frame: pd.DataFrame, uid: str) -> pd.DataFrame:
    """Splink input for persons from a frame with the person attributes and a unique id column `uid`."""
    ids = frame["citizen_id"].fillna("").astype(str).str.strip().str.upper()
    names = frame["name"].fillna("").astype(str)
    name_cache = {n: (nz.person_name(n), nz.pinyin(n), nz.surname(n)) for n in set(names)}
    birth = frame["birth_date"].where(frame["birth_date"].notna(), ids.map(_id_birth))
    gender = frame["gender"].where(frame["gender"].notna(), ids.map(_id_gender))
    out = pd.DataFrame({
        "unique_id": frame[uid].astype(str),
        "name": [name_cache[n][0] or None for n in names],
        "name_py": [name_cache[n][1] or None for n in names],
        "surname": [name_cache[n][2] or None for n in names],
        "birth_date": birth.astype(object),
        "gender": gender.astype(object),
        "mobile": [nz.phone(v) if isinstance(v, str) else None for v in frame["mobile"]],
        "county": _counties(frame["address"]),
        "citizen_id": ids.where(ids != "", None),
    })
    out["birth_year"] = out["birth_date"].map(lambda d: d[:4] if isinstance(d, str) else None)
    out["id_head"] = out["citizen_id"].map(lambda c: c[:14] if isinstance(c, str) and len(c) >= 14 else None)
    out["id_tail"] = out["citizen_id"].map(lambda c: c[-8:] if isinstance(c, str) and len(c) >= 14 else None)
    return out.astype(object).where(out.notna(), None)


def enterprise(frame: pd.DataFrame, uid: str) -> pd.DataFrame:
    """Splink input for enterprises from a frame with the enterprise attributes and a unique id column `uid`."""
    codes = frame["uscc"].fillna("").astype(str).str.strip().str.upper()
    names = frame["name"].fillna("").astype(str)
    keys = {n: nz.enterprise_name(n) for n in set(names)}
    reps = frame["legal_representative"].fillna("").astype(str)
    out = pd.DataFrame({
        "unique_id": frame[uid].astype(str),
        "name": [keys[n] or None for n in names],
        "legal_representative": [nz.person_name(r) or None for r in reps],
        "address": _clean(frame["address"]).astype(object),
        "county": _counties(frame["address"]),
        "phone": [nz.phone(v) if isinstance(v, str) else None for v in frame["phone"]],
        "uscc": codes.where(codes != "", None),
    })
    out["id_head"] = out["uscc"].map(lambda c: c[:10] if isinstance(c, str) and len(c) >= 14 else None)
    out["id_tail"] = out["uscc"].map(lambda c: c[-8:] if isinstance(c, str) and len(c) >= 14 else None)
    return out.astype(object).where(out.notna(), None)


BUILDERS = {"person": person, "enterprise": enterprise}
