"""The probabilistic half of linkage: Splink (Fellegi–Sunter) settings for persons and enterprises, training,
and scoring the records that have no valid identifier against the files that do.

Training needs no labels from a person: the records that carry a valid ID (or USCC) are the labels. Their
m-probabilities (how often true matches agree on each field, level by level) are estimated from pairs that share
an identifier, and the u-probabilities (how often random pairs agree) by random sampling. The identifier's own
levels have fixed m values: every training pair agrees on it exactly, so the data cannot teach how a mistyped
ID differs from its owner's.

The same settings run on DuckDB (the default) or on Spark (`backend="spark"`, the `spark` extra): only the
database API changes. Comparisons use exact matches and Levenshtein distances, which both engines have built in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

#: Fixed m-probabilities of the identifier's levels (exact, one edit, two edits, else) for a mistyped identifier.
KEY_M = (0.55, 0.35, 0.05, 0.05)


def _key_comparison(column: str, label: str) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    levels: list[Any] = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column).configure(m_probability=KEY_M[0], fix_m_probability=True),
        cll.LevenshteinLevel(column, 1).configure(m_probability=KEY_M[1], fix_m_probability=True),
        cll.LevenshteinLevel(column, 2).configure(m_probability=KEY_M[2], fix_m_probability=True),
        cll.ElseLevel().configure(m_probability=KEY_M[3], fix_m_probability=True),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=column, comparison_description=label)


def _fuzzy(column: str, distance: int, label: str, *, extra: Any = None) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    levels: list[Any] = [cll.NullLevel(column), cll.ExactMatchLevel(column)]
    if extra is not None:
        levels.append(extra)
    levels += [cll.LevenshteinLevel(column, distance), cll.ElseLevel()]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=column, comparison_description=label)


def _settings(kind: str, link_type: str) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if kind == "person":
        comparisons = [
            _fuzzy("name", 1, "姓名", extra=cll.ExactMatchLevel("name_py").configure(label_for_charts="pinyin")),
            cl.ExactMatch("surname").configure(term_frequency_adjustments=True),
            _fuzzy("birth_date", 1, "出生日期"),
            cl.ExactMatch("gender"),
            _fuzzy("mobile", 1, "手机号码"),
            cl.ExactMatch("county"),
            _key_comparison("citizen_id", "公民身份号码"),
        ]
        rules = [block_on("surname", "birth_date"), block_on("name", "county"), block_on("mobile"),
                 block_on("id_head"), block_on("id_tail"), block_on("name_py", "birth_year")]
    else:
        comparisons = [
            _fuzzy("name", 2, "企业名称（去组织形式）"),
            _fuzzy("legal_representative", 1, "法定代表人"),
            _fuzzy("address", 3, "住所"),
            cl.ExactMatch("county"),
            cl.ExactMatch("phone"),
            _key_comparison("uscc", "统一社会信用代码"),
        ]
        rules = [block_on("name"), block_on("id_head"), block_on("id_tail"),
                 block_on("legal_representative", "county")]
    options: dict[str, Any] = {"link_type": link_type, "comparisons": comparisons,
                               "blocking_rules_to_generate_predictions": rules}
    return SettingsCreator(**options, retain_intermediate_calculation_columns=False, retain_matching_columns=False,
                           unique_id_column_name="unique_id")


def _db_api(backend: str, connection: Any = None) -> Any:
    if backend == "spark":
        from splink import SparkAPI

        from digigov.platform.entities.spark import session

        return SparkAPI(spark_session=session(), register_udfs_automatically=False)
    from splink import DuckDBAPI

    return DuckDBAPI(connection=connection) if connection is not None else DuckDBAPI()


def _input(backend: str, frame: pd.DataFrame) -> Any:
    if backend == "spark":
        from digigov.platform.entities.spark import session

        return session().createDataFrame(frame.astype(object).where(frame.notna(), None))
    return frame


def train(kind: str, labelled: pd.DataFrame, *, backend: str = "duckdb", seed: int = 2021) -> dict[str, Any]:
    """The trained model (a Splink settings dict) from mentions with a valid identifier in column `label`."""
    from splink import Linker

    _quiet()
    db = _db_api(backend)
    linker = Linker(_input(backend, labelled), _settings(kind, "dedupe_only"), db_api=db)
    pairs = max(10_000, min(2_000_000, len(labelled) * 20))
    linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed)
    linker.training.estimate_m_from_label_column("label")
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return smooth(model, pairs)


def smooth(model: dict[str, Any], pairs: int) -> dict[str, Any]:
    """Fill the levels the training never saw: u as if seen once less than in `pairs` random pairs (a random
    agreement that rare is strong evidence), m as 1% (an agreement pattern true matches rarely show)."""
    for comp in model.get("comparisons", []):
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if not level.get("u_probability"):
                level["u_probability"] = 0.5 / pairs
            if not level.get("m_probability"):
                level["m_probability"] = 0.01
    return model


def _quiet() -> None:
    import logging

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("splink"):
            logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("splink").setLevel(logging.ERROR)


def score(kind: str, model: dict[str, Any], files: pd.DataFrame, residue: pd.DataFrame, *, backend: str = "duckdb",
          prior: float | None = None, min_probability: float = 0.5,
          log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Pairs (unique_id_l, unique_id_r, source_l, source_r, match_weight, match_probability, gamma_*) between the
    residue and the files and within the residue, at `min_probability` or above."""
    from splink import Linker

    _quiet()
    settings = for_dialect(kind, model, "spark") if backend == "spark" else dict(model)
    settings["link_type"] = "link_and_dedupe"
    settings["retain_intermediate_calculation_columns"] = True
    if prior is not None:
        settings["probability_two_random_records_match"] = prior
    empty = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r",
                                  "match_weight", "match_probability"])
    if residue.empty:
        return empty
    files = files.assign(source_dataset="files")
    residue = residue.assign(source_dataset="residue")
    db = _db_api(backend)
    linker = Linker([_input(backend, files), _input(backend, residue)], settings, db_api=db,
                    input_table_aliases=["files", "residue"])
    pairs = linker.inference.predict(threshold_match_probability=min_probability).as_pandas_dataframe()
    pairs = pairs[(pairs["source_dataset_l"] == "residue") | (pairs["source_dataset_r"] == "residue")]
    if log:
        log(f"{len(pairs)} candidate pairs at p >= {min_probability}")
    return pairs.reset_index(drop=True)


def for_dialect(kind: str, model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The trained model's probabilities on the settings written for another SQL dialect (the stored model's
    conditions are DuckDB SQL; Spark quotes identifiers differently)."""
    fresh: dict[str, Any] = _settings(kind, "link_and_dedupe").create_settings_dict(dialect)
    fresh["probability_two_random_records_match"] = model.get("probability_two_random_records_match")
    for new, old in zip(fresh["comparisons"], model["comparisons"], strict=True):
        for new_level, old_level in zip(new["comparison_levels"], old["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability"):
                if old_level.get(key) is not None:
                    new_level[key] = old_level[key]
    return fresh


def model_json(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False, sort_keys=True)
