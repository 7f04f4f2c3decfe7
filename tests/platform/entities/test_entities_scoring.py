"""The probabilistic step alone: term-frequency adjustment on surnames, and the same model scored on Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from digigov.platform.entities import features, scoring


def _people() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for i in range(60):  # a population where 王 is common and 欧阳 rare
        surname = "王" if i % 3 else "李"
        rows.append((f"f{i}", f"{surname}{'明华强伟芳敏静丽军杰'[i % 10]}{i}", "男" if i % 2 else "女",
                     f"19{60 + i % 30}-0{1 + i % 9}-1{i % 9}", f"1380000{i:04d}", "浙江省杭州市西湖区文三路1号",
                     f"33010619{60 + i % 30}0{1 + i % 9}1{i % 9}{i % 10}23X"))
    rows.append(("f_rare", "欧阳明华", "男", "1975-03-14", "13912345678", "浙江省杭州市西湖区文三路1号", None))
    rows.append(("f_common", "王明华", "男", "1975-03-14", "13912345679", "浙江省杭州市西湖区文三路1号", None))
    cols = ["key", "name", "gender", "birth_date", "mobile", "address", "citizen_id"]
    files = pd.DataFrame(rows, columns=cols).assign(death_date=None)
    residue = pd.DataFrame([
        ("r_rare", "欧阳明华", "男", "1975-03-14", None, "浙江省杭州市西湖区文三路1号", None),
        ("r_common", "王明华", "男", "1975-03-14", None, "浙江省杭州市西湖区文三路1号", None),
    ], columns=["rid", *cols[1:]]).assign(death_date=None)
    return files, residue


def _model() -> dict:
    files, _r = _people()
    labelled = features.person(files.assign(rid=files["key"]), "rid")
    labelled = pd.concat([labelled, labelled.assign(unique_id=labelled["unique_id"] + "b")], ignore_index=True)
    labelled["label"] = labelled["unique_id"].str.rstrip("b")
    return scoring.train("person", labelled)


def _pairs(backend: str, model: dict) -> pd.DataFrame:
    files, residue = _people()
    return scoring.score("person", model, features.person(files, "key"), features.person(residue, "rid"),
                         backend=backend, prior=1 / len(files), min_probability=0.01)


def _weight(pairs: pd.DataFrame, rid: str, key: str) -> float:
    row = pairs[((pairs.unique_id_l == key) & (pairs.unique_id_r == rid)) |
                ((pairs.unique_id_l == rid) & (pairs.unique_id_r == key))]
    assert len(row) == 1, (rid, key, len(row))
    return float(row.iloc[0]["match_weight"])


def test_a_rare_surname_weighs_more_than_a_common_one() -> None:
    pairs = _pairs("duckdb", _model())
    rare = _weight(pairs, "r_rare", "f_rare")
    common = _weight(pairs, "r_common", "f_common")
    assert rare > common + 1.0, (rare, common)
    tf_rare = pairs[pairs.unique_id_r.eq("r_rare") | pairs.unique_id_l.eq("r_rare")]["bf_tf_adj_surname"].max()
    tf_common = pairs[pairs.unique_id_r.eq("r_common") | pairs.unique_id_l.eq("r_common")]["bf_tf_adj_surname"].max()
    assert tf_rare > 1 > tf_common


def test_the_same_model_scores_the_same_on_spark() -> None:
    pytest.importorskip("pyspark", reason="the spark extra is part of the test extra; CI installs it")
    model = _model()
    local = _pairs("duckdb", model)
    spark = _pairs("spark", model)
    def key(p: pd.DataFrame) -> set[tuple[str, str]]:
        return {tuple(sorted((str(a), str(b)))) for a, b in zip(p.unique_id_l, p.unique_id_r, strict=True)}
    assert key(local) == key(spark) and len(local) > 0
    for rid, fid in (("r_rare", "f_rare"), ("r_common", "f_common")):
        assert _weight(spark, rid, fid) == pytest.approx(_weight(local, rid, fid), abs=1e-6)
