"""The demo department data at the small size: formats and encodings, counts, valid identifiers, noise at
its rates and exactly where the truth says, consistent relations between departments, determinism."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric, uscc

from digigov.demo.govdata import RATES, SIZES, SPECS, DemoFile, GeneratedData, generate
from digigov.demo.govdata.noise import LOWERCASE_X, Noiser
from digigov.identity.regions import zhejiang_regions

HALF = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    return generate(tmp_path_factory.mktemp("govdata"), size="small", seed=2021)


@pytest.fixture(scope="module")
def rows(data: GeneratedData) -> dict[str, list[dict[str, Any]]]:
    return {f.dataset: read(f) for f in data.files}


@pytest.fixture(scope="module")
def truth(data: GeneratedData) -> dict[str, list[dict[str, Any]]]:
    return {f.dataset: pq.read_table(data.truth_dir / f"{f.dataset}.parquet").to_pylist() for f in data.files}


@pytest.fixture(scope="module")
def people(data: GeneratedData) -> dict[str, dict[str, Any]]:
    return {p["person_key"]: p for p in pq.read_table(data.truth_dir / "people.parquet").to_pylist()}


@pytest.fixture(scope="module")
def enterprises(data: GeneratedData) -> dict[str, dict[str, Any]]:
    return {e["enterprise_key"]: e for e in pq.read_table(data.truth_dir / "enterprises.parquet").to_pylist()}


def read(f: DemoFile) -> list[dict[str, Any]]:
    headers = list(f.mapping)
    if f.format in ("csv", "tsv"):
        assert f.encoding
        text = f.path.read_bytes().decode(f.encoding)
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t" if f.format == "tsv" else ","))
        assert table[0] == headers
        return [dict(zip(headers, r, strict=True)) for r in table[1:]]
    if f.format == "xlsx":
        sheet = openpyxl.load_workbook(f.path, read_only=True).active
        assert sheet is not None
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == headers
        return [dict(zip(headers, r, strict=True)) for r in values[1:]]
    if f.format == "json":
        return list(json.loads(f.path.read_text(encoding="utf-8")))
    if f.format == "ndjson":
        return [json.loads(line) for line in f.path.read_text(encoding="utf-8").splitlines()]
    assert f.format == "parquet"
    return pq.read_table(f.path).to_pylist()


def clean(value: Any) -> str:
    return "" if value is None else str(value).translate(HALF).strip().upper()


def ric_ok(number: str) -> bool:
    # stdnum's calc_check_digit takes the whole 18-character number and ignores its last character
    return len(number) == 18 and number[:17].isdigit() and ric.calc_check_digit(number) == number[17]


def noisy(record: dict[str, Any], kind: str, field: str | None = None) -> bool:
    return any(k == kind and (field is None or f == field) for k, f in zip(record["noise"], record["noise_fields"],
                                                                           strict=True))


def test_api(data: GeneratedData) -> None:
    assert SIZES == {"small": 2_000, "medium": 100_000, "large": 1_000_000}
    assert data.people == 2_000 and data.enterprises == 200 and data.size == "small" and data.seed == 2021
    assert [f.dataset for f in data.files] == list(SPECS)
    for f in data.files:
        assert f.path.parent == data.directory and f.rows > 0
        assert f.update_frequency in ("实时", "每日", "每周", "每月", "每季度", "每年", "不定期")
        assert set(f.key) <= set(f.mapping)
    with pytest.raises(ValueError):
        generate(data.directory / "never", size="huge")


def test_formats_and_encodings(data: GeneratedData) -> None:
    files = {f.dataset: f for f in data.files}
    subsistence = files["ca_subsistence"].path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        subsistence.decode("utf-8")
    assert subsistence.decode("gbk").startswith("户主姓名,")
    with pytest.raises(UnicodeDecodeError):
        files["hr_contribution"].path.read_bytes().decode("utf-8")
    assert files["hr_contribution"].path.read_bytes().decode("gb18030").startswith("身份证号\t姓名")
    assert files["mr_enterprise"].path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert files["ps_household"].path.read_bytes().decode("utf-8").startswith("姓名,公民身份号码")
    assert json.loads(files["ag_village_project"].path.read_text(encoding="utf-8"))[0]["项目编号"]
    assert files["ms_claim"].path.read_bytes()[:4] == b"PAR1"
    for name in ("ca_death", "ag_village_contract"):
        assert files[name].path.read_bytes()[:2] == b"PK"
    sheet = openpyxl.load_workbook(files["ca_death"].path).active
    assert sheet is not None and sheet.cell(2, 4).is_date  # 死亡日期: an Excel date (a serial, date-formatted)


def test_counts_match(data: GeneratedData, rows: dict[str, list[dict[str, Any]]],
                      truth: dict[str, list[dict[str, Any]]]) -> None:
    manifest = json.loads((data.truth_dir / "manifest.json").read_text(encoding="utf-8"))
    for f in data.files:
        assert len(rows[f.dataset]) == f.rows == len(truth[f.dataset]) == manifest["datasets"][f.dataset]["rows"]
        assert [t["record"] for t in truth[f.dataset]] == list(range(1, f.rows + 1))
    assert len(rows["ps_household"]) > 1_900  # everyone but the dead whose registration was cancelled
    assert 0.005 < len(rows["ca_death"]) / data.people < 0.02


def test_clean_people_and_enterprises(people: dict[str, dict[str, Any]],
                                      enterprises: dict[str, dict[str, Any]]) -> None:
    counties = {r.code for r in zhejiang_regions() if r.level == "county"}
    ids = [p["citizen_id"] for p in people.values()]
    assert len(set(ids)) == len(ids) == 2_000
    for p in people.values():
        number = p["citizen_id"]
        assert ric_ok(number), number
        assert ric.get_birth_date(number) == p["birth_date"]
        assert number[:6] == p["birth_county"] in counties and p["county"] in counties
        assert (int(number[16]) % 2 == 1) == (p["gender"] == "男")
        assert p["mobile"] is None or (len(p["mobile"]) == 11 and p["mobile"][:2] in ("13", "14", "15", "16", "17",
                                                                                       "18", "19"))
        assert 0 <= (dt.date(2021, 8, 31) - p["birth_date"]).days // 365 <= 96
    moved = sum(p["birth_county"] != p["county"] for p in people.values()) / len(people)
    assert 0.15 < moved < 0.25
    for e in enterprises.values():
        assert uscc.is_valid(e["uscc"]) and e["uscc"][2:8] == e["county"] and e["uscc"][1] in "123"
        assert e["legal_rep_key"] in people and people[e["legal_rep_key"]]["citizen_id"] == e["legal_rep_id"]
        assert e["status"] in ("存续", "在业", "注销", "吊销")
    assert len({e["name"] for e in enterprises.values()}) == len(enterprises)


def test_invalid_checksums_are_exactly_the_marked_ones(data: GeneratedData, rows: dict[str, list[dict[str, Any]]],
                                                       truth: dict[str, list[dict[str, Any]]]) -> None:
    marked_total = 0
    for f in data.files:
        roles = SPECS[f.dataset].roles
        for header in roles.citizen_ids + roles.usccs:
            valid = ric_ok if header in roles.citizen_ids else uscc.is_valid
            values = [clean(row[header]) for row in rows[f.dataset]]
            broken = {i for i, value in enumerate(values) if value and not valid(value)}
            marked = {i for i, t in enumerate(truth[f.dataset]) if noisy(t, "invalid_checksum", header)}
            assert broken == marked, (f.dataset, header)
            marked_total += len(marked)
    assert marked_total > 0


def test_noise_rates(data: GeneratedData, rows: dict[str, list[dict[str, Any]]],
                     truth: dict[str, list[dict[str, Any]]]) -> None:
    observed: Counter[str] = Counter()
    expected: dict[str, float] = {}
    for f in data.files:
        spec = SPECS[f.dataset]
        noiser = Noiser(spec.headers, spec.roles, spec.scale, random.Random(0))
        for kind, rate in noiser.rates.items():
            expected[kind] = expected.get(kind, 0.0) + rate * f.rows
        for t in truth[f.dataset]:
            observed.update(set(t["noise"]) - {LOWERCASE_X})
        for header in spec.roles.citizen_ids:
            ending_x = [i for i, row in enumerate(rows[f.dataset]) if clean(row[header]).endswith("X")]
            lower = [i for i in ending_x if str(rows[f.dataset][i][header]).rstrip().endswith(("x", "ｘ"))]
            assert lower == [i for i in ending_x if noisy(truth[f.dataset][i], LOWERCASE_X, header)]
            expected[LOWERCASE_X] = expected.get(LOWERCASE_X, 0.0) + len(ending_x) * RATES[LOWERCASE_X] * spec.scale
            observed[LOWERCASE_X] += len(lower)
    for kind, count in expected.items():
        assert abs(observed[kind] - count) <= max(4 * math.sqrt(count), 0.3 * count), (kind, observed[kind], count)


def test_noise_is_where_the_truth_says(data: GeneratedData, rows: dict[str, list[dict[str, Any]]],
                                       truth: dict[str, list[dict[str, Any]]],
                                       people: dict[str, dict[str, Any]]) -> None:
    household = rows["ps_household"]
    for row, t in zip(household, truth["ps_household"], strict=True):
        person = people[t["entity_key"]]
        if not t["noise"]:
            assert row["姓名"] == person["name"] and row["公民身份号码"] == person["citizen_id"]
            assert row["户籍地址"] == person["address"] and row["出生日期"] == f"{person['birth_date']:%Y%m%d}"
        if noisy(t, "fullwidth", "公民身份号码"):
            assert any("０" <= ch <= "９" for ch in row["公民身份号码"])
        if noisy(t, "missing", "手机号码"):
            assert row["手机号码"] == "" and person["mobile"]
    for f in data.files:
        for i, t in enumerate(truth[f.dataset]):
            if "duplicate" in t["noise"]:
                assert rows[f.dataset][i] == rows[f.dataset][t["duplicate_of"] - 1]
                assert truth[f.dataset][t["duplicate_of"] - 1]["entity_key"] == t["entity_key"]


def test_relations_are_consistent(rows: dict[str, list[dict[str, Any]]], truth: dict[str, list[dict[str, Any]]],
                                  people: dict[str, dict[str, Any]], enterprises: dict[str, dict[str, Any]]) -> None:
    ids = {p["citizen_id"]: p for p in people.values()}
    codes = {e["uscc"]: e for e in enterprises.values()}

    def check(dataset: str, id_header: str | None, uscc_header: str | None) -> None:
        for row, t in zip(rows[dataset], truth[dataset], strict=True):
            if id_header and clean(row[id_header]) and not noisy(t, "invalid_checksum", id_header):
                person = ids[clean(row[id_header])]
                assert person["person_key"] in (t["person_key"], t["entity_key"])
            if uscc_header and clean(row[uscc_header]) and not noisy(t, "invalid_checksum", uscc_header):
                assert codes[clean(row[uscc_header])]["enterprise_key"] == t["enterprise_key"]

    check("hr_contribution", "身份证号", "单位统一社会信用代码")
    check("ms_claim", "证件号码", None)
    check("ca_death", "身份证号码", None)
    check("ca_subsistence", "身份证号", None)
    check("mr_enterprise", "法定代表人证件号码", "统一社会信用代码")
    check("mr_food_licence", None, "统一社会信用代码")
    check("ag_village_project", None, "中标单位信用代码")
    check("ag_village_contract", "乙方身份证号", "乙方统一社会信用代码")
    for t in truth["ag_village_project"]:
        assert t["official_key"] in people and t["enterprise_key"] in enterprises
    for t in truth["mr_food_licence"]:
        assert enterprises[t["enterprise_key"]]["food"] in ("catering", "sale")
    for row, t in zip(rows["ca_death"], truth["ca_death"], strict=True):
        if isinstance(row["死亡日期"], dt.datetime):
            assert row["死亡日期"].date() == people[t["entity_key"]]["death_date"]
    after = [(t, row) for t, row in zip(truth["ms_claim"], rows["ms_claim"], strict=True) if t["anomaly"]]
    for t, row in after:  # a known anomaly: claims of the dead, dated after their death
        assert row["就诊日期"] > people[t["entity_key"]]["death_date"]
    for row, t in zip(rows["ms_claim"], truth["ms_claim"], strict=True):
        death = people[t["entity_key"]]["death_date"]
        assert (death is not None and row["就诊日期"] > death) == (t["anomaly"] == "after_death")


def test_deterministic(data: GeneratedData, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", size="small", seed=2021)

    def digests(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    first, second = digests(data.directory), digests(again.directory)
    assert len(first) == 9 + 9 + 3 and first == second
