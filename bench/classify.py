"""Benchmark: PII / sensitive-type detection, ours (column-wise vectorised scan in DuckDB, checksums on the
pattern hits, column context) against Microsoft Presidio's AnalyzerEngine with NoOpNlpEngine and only our
PatternRecognizers (the same regexes, anchored to the whole cell, ``validate_result`` calling the same
python-stdnum / phonenumbers / cpca checks), cell by cell, on the same labelled sample.

    python bench/classify.py [--size small|large] [--seed 20240601] [--presidio-cells N]

small = 100,000 cells (Presidio on a stratified subsample of 20,000 cells: it runs ~2,000 cells/s),
large = 1,000,000 cells (Presidio on every cell). F1 is compared on the cells both labelled.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib.metadata import version

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.progress import track
from rich.table import Table
from stdnum import luhn
from stdnum.cn import ric, uscc

from digigov.platform.classify.detect import keywords, label_cells, label_values, scan_table, types
from digigov.platform.standards.validators import (
    VALIDATORS,
    normalise,
    surname_shares,
    zhejiang_region_codes,
)

SIZES = {"small": 100_000, "large": 1_000_000}
PRESIDIO_DEFAULT = {"small": 20_000, "large": 0}  # 0: every cell
EVAL = (
    "citizen_id", "uscc", "bank_card", "mobile", "landline", "email", "ip_address", "plate_number", "passport",
    "coordinates", "date", "person_name", "address", "diagnosis",
)
console = Console(stderr=True)

# --- labelled sample ---------------------------------------------------------------------------------

GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩凯鹏晨婷雪琳欣怡子涵梓轩一诺佳豪思远晓"
def _words(text: str) -> list[str]:
    return text.split()


PRODUCTS = _words(
    "金华火腿 高压锅 白酒 马克杯 石榴 方便面 龙井茶 万用表 江米条 黄酒 毛巾 钱包 何首乌 罗汉果 叶酸片 "
    "田螺 石斑鱼 金针菇 雷达 龙虾 白糖 高粱 方糖 黄瓜 金刚石 石膏 白菜 宋锦 梁柱 马蹄 杨梅 朱砂 胡椒 "
    "林蛙 毛豆 夏枯草 钟表 石英表 汤圆 高跟鞋 马甲 龙须面 白果 黄金 金桔 陈皮 蒋村柿 方巾 曹白鱼 雷笋 "
    "江蟹 田七 杜仲"
)
ROADS = _words("文三 文二 学院 教工 天目山 解放 延安 中山 人民 建设 凤起 庆春 环城 滨江 江南 钱江 五星 望江")
TEXTS = (
    "已于上午电话回访群众表示满意", "材料齐全予以受理", "现场核查情况属实", "请尽快处理", "无异常", "待补充材料",
    "已转交属地街道办理", "客户不在家下次再访", "见附件", "系统自动生成",
)
MOBILE_PREFIXES = [*(f"13{d}" for d in range(10)), "150", "151", "152", "153", "155", "156", "157", "158", "159",
                   *(f"18{d}" for d in range(10)), "177", "199", "166"]
AREA_CODES = {"0571": 8, "0574": 8, "0577": 8, "0573": 8, "0575": 8, "0579": 8, "0576": 8, "0578": 7, "0570": 7,
              "0572": 7, "0580": 7}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class Sample:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        regions = [line.split(",") for line in open_regions()]
        self.counties = sorted(c for c in zhejiang_region_codes() if not c.endswith("00"))
        self.cities = [(row[1], row[0]) for row in regions if row[3] == "city"]
        self.districts = {row[0]: row[1] for row in regions if row[3] == "county"}
        self.surnames = list(surname_shares())
        self.weights = list(surname_shares().values())
        self.diagnoses = keywords("medical_terms.txt")[:60]

    def d(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def citizen_id(self) -> str:
        r = self.r
        born = f"{r.randint(1940, 2010)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
        body = f"{r.choice(self.counties)}{born}{self.d(3)}"
        return body + ric.calc_check_digit(body + "0")

    def uscc(self) -> str:
        body = self.r.choice("91") + "1" + self.r.choice(self.counties) + "".join(self.r.choices(USCC_CHARS, k=9))
        return body + uscc.calc_check_digit(body + "0")

    def bank_card(self) -> str:
        body = self.r.choice(("622202", "621700", "622848", "436742", "622588")) + self.d(self.r.choice((9, 12)))
        return body + luhn.calc_check_digit(body)

    def mobile(self) -> str:
        return self.r.choice(MOBILE_PREFIXES) + self.d(8)

    def landline(self) -> str:
        area = self.r.choice(list(AREA_CODES))
        return f"{area}{self.r.choice(('-', ''))}{self.r.choice('2345678')}{self.d(AREA_CODES[area] - 1)}"

    def email(self) -> str:
        return f"{self.r.choice(('zhang', 'li', 'wang', 'user', 'hz'))}{self.r.randint(1, 99999)}@" + self.r.choice(
            ("zj.gov.cn", "example.com", "163.com", "qq.com"))

    def ip_address(self) -> str:
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def plate_number(self) -> str:
        tail = "".join(self.r.choices(PLATE_CHARS[:20], k=5))
        return "浙" + self.r.choice("ABCDEFGHJKL") + (("D" + self.d(5)) if self.r.random() < 0.2 else tail)

    def passport(self) -> str:
        return self.r.choice(("E", "G", "EA", "P")) + self.d(8 if self.r.random() < 0.7 else 7)

    def coordinates(self) -> str:
        return f"{self.r.uniform(118, 123):.6f},{self.r.uniform(27, 31.2):.6f}"

    def date(self) -> str:
        y, m, day = self.r.randint(1980, 2024), self.r.randint(1, 12), self.r.randint(1, 28)
        return f"{y}-{m:02d}-{day:02d}" if self.r.random() < 0.8 else f"{y}年{m}月{day}日"

    def person_name(self) -> str:
        surname = self.r.choices(self.surnames, weights=self.weights)[0]
        return surname + "".join(self.r.choices(GIVEN, k=self.r.choice((1, 2, 2))))

    def address(self) -> str:
        code = self.r.choice(list(self.districts))
        city = next(name for name, c in self.cities if c[:4] == code[:4])
        lead = self.r.choice((f"浙江省{city}", city, ""))
        return f"{lead}{self.districts[code]}{self.r.choice(ROADS)}路{self.r.randint(1, 800)}号"

    def diagnosis(self) -> str:
        if self.r.random() < 0.2:
            return f"{self.r.choice('ACEIJKN')}{self.d(2)}.{self.d(1)}"
        return self.r.choice(self.diagnoses)

    def noise(self) -> str | None:
        return self.r.choice((None, "", "无", "-", "不详", *TEXTS))

    def typo(self, key: str, value: str) -> str:
        while True:
            at = self.r.randrange(len(value))
            wrong = value[:at] + self.r.choice("0123456789") + value[at + 1 :]
            if VALIDATORS[key](wrong) is not None:
                return wrong

    def columns(self, rows: int) -> tuple[dict[str, list[str | None]], dict[str, list[str | None]]]:
        data: dict[str, list[str | None]] = {}
        truth: dict[str, list[str | None]] = {}
        checksum = {"citizen_id", "uscc", "bank_card", "mobile"}
        for key in EVAL:
            gen: Callable[[], str] = getattr(self, key)
            values, labels = [], []
            for _ in range(rows):
                roll = self.r.random()
                if roll < 0.03:
                    values.append(self.noise())
                    labels.append(None)
                elif roll < 0.05 and key in checksum:
                    values.append(self.typo(key, gen()))
                    labels.append(None)
                else:
                    values.append(gen())
                    labels.append(key)
            data[f"col_{key}"], truth[f"col_{key}"] = values, labels
        decoys: dict[str, Callable[[], str | None]] = {
            "order_no": lambda: "2024" + self.d(14),
            "card_lookalike": lambda: "62" + self.d(self.r.choice((14, 17))),
            "product": lambda: self.r.choice(PRODUCTS),
            "random_digits": lambda: self.d(self.r.choice((6, 8, 11, 12, 15, 18))),
            "bad_ids": lambda: self.typo("citizen_id", self.citizen_id()),
            "sku": lambda: self.r.choice(("SKU-", "GD2024", "NO.")) + self.d(6),
            "comment": lambda: self.r.choice(TEXTS),
            "amount": lambda: f"{self.r.uniform(0, 99999):.2f}",
        }
        for key, make in decoys.items():
            data[f"decoy_{key}"] = [make() for _ in range(rows)]
            truth[f"decoy_{key}"] = [None] * rows
        mixed, labels = [], []
        for _ in range(rows):
            if self.r.random() < 0.3:
                mixed.append(self.mobile())
                labels.append("mobile")
            else:
                mixed.append(self.r.choice(TEXTS))
                labels.append(None)
        data["备注"], truth["备注"] = mixed, labels
        return data, truth


def open_regions() -> list[str]:
    from digigov.platform.standards.validators import REGIONS_CSV

    lines = REGIONS_CSV.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#") and not line.startswith("code,")]


# --- the two detectors -------------------------------------------------------------------------------


def run_ours(con: duckdb.DuckDBPyConnection, columns: list[str]) -> tuple[dict, float, float]:
    """The column scan (one pass for all columns), then every cell labelled with its column's context."""
    start = time.perf_counter()
    scans = scan_table(con, "t", columns)
    scanned = time.perf_counter() - start
    labels = {}
    for column in track(columns, description="ours: label cells", console=console, transient=True):
        labels[column] = label_cells(con, "t", column, scan=scans[column])
    return labels, scanned, time.perf_counter() - start


def run_checks_only(con: duckdb.DuckDBPyConnection, columns: list[str], method: str) -> float:
    """Cell labels without a scan (no context, no reuse): the two ways of running the checks, compared."""
    start = time.perf_counter()
    for column in track(columns, description=f"ours: checks via {method}", console=console, transient=True):
        label_cells(con, "t", column, context=False, method=method)  # type: ignore[arg-type]
    return time.perf_counter() - start


def build_presidio():  # noqa: ANN201
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    class Checked(PatternRecognizer):
        def __init__(self, key: str, pattern: str, check: Callable[[str], bool] | None) -> None:
            super().__init__(supported_entity=key, name=f"dg_{key}", supported_language="zh",
                             patterns=[Pattern(key, f"^(?:{pattern})$", 0.5)], global_regex_flags=0)
            self._check = check

        def validate_result(self, pattern_text: str) -> bool:
            return self._check is None or self._check(pattern_text)

    def address_ok(value: str) -> bool:
        return VALIDATORS["address"](value) is None

    registry = RecognizerRegistry(supported_languages=["zh"])
    for kind in types():
        if kind.id in EVAL:
            registry.add_recognizer(Checked(kind.id, kind.pattern, address_ok if kind.id == "address" else kind.check))
    nlp = NoOpNlpEngine(models=[{"lang_code": "zh", "model_name": "none"}])
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["zh"], registry=registry)


def run_presidio(cells: list[tuple[str, int, str | None]]) -> tuple[list[str | None], float]:
    engine = build_presidio()
    order = {kind.id: i for i, kind in enumerate(types())}
    out: list[str | None] = []
    start = time.perf_counter()
    for _column, _row, value in track(cells, description="presidio: analyze cells", console=console, transient=True):
        text = normalise(value) if value else ""
        if not text:
            out.append(None)
            continue
        results = engine.analyze(text=text, language="zh")
        best = max(results, key=lambda x: (x.score, -order[x.entity_type]), default=None)
        out.append(best.entity_type if best else None)
    return out, time.perf_counter() - start


# --- scoring -----------------------------------------------------------------------------------------


def scores(pairs: list[tuple[str | None, str | None]]) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for want, have in pairs:
        have = have if have in EVAL else None
        if have is not None and have == want:
            tp[have] += 1
            continue
        if have is not None:
            fp[have] += 1
        if want is not None:
            fn[want] += 1
    out = {}
    for key in EVAL:
        p = tp[key] / (tp[key] + fp[key]) if tp[key] + fp[key] else 0.0
        r = tp[key] / (tp[key] + fn[key]) if tp[key] + fn[key] else 0.0
        out[key] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}
    return out


def stratified(truth: dict[str, list[str | None]], data: dict[str, list[str | None]], n: int,
               seed: int) -> list[tuple[str, int, str | None]]:
    columns = list(truth)
    rows = len(truth[columns[0]])
    per_column = rows if n <= 0 else max(1, min(rows, n // len(columns)))
    r = random.Random(seed)
    picked = []
    for column in columns:
        for row in sorted(r.sample(range(rows), per_column)):
            picked.append((column, row, data[column][row]))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--presidio-cells", type=int, default=None, help="0 = every cell")
    args = parser.parse_args()
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    sample = Sample(args.seed)
    n_columns = len(EVAL) + 8 + 1
    rows = -(-SIZES[args.size] // n_columns)
    start = time.perf_counter()
    with console.status("generating the labelled sample"):
        data, truth = sample.columns(rows)
    cells_total = rows * len(data)
    console.print(f"sample: {len(data)} columns x {rows:,} rows = {cells_total:,} cells "
                  f"(generated in {time.perf_counter() - start:.1f} s)")

    con = duckdb.connect()
    start = time.perf_counter()
    con.register("src", pa.table({k: pa.array(v, pa.string()) for k, v in data.items()}))
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.unregister("src")
    load_s = time.perf_counter() - start
    label_values(["浙江省杭州市西湖区"], [1 << [k.id for k in types()].index("address")])  # load cpca's tables once

    columns = list(data)
    ours, scan_s, ours_s = run_ours(con, columns)
    distinct_s = run_checks_only(con, columns, "distinct")
    udf_s = run_checks_only(con, columns, "udf")
    ours_rate = cells_total / ours_s

    n_presidio = PRESIDIO_DEFAULT[args.size] if args.presidio_cells is None else args.presidio_cells
    picked = stratified(truth, data, n_presidio, args.seed)
    presidio_labels, presidio_s = run_presidio(picked)
    presidio_rate = len(picked) / presidio_s
    ratio = ours_rate / presidio_rate

    ours_same = scores([(truth[c][i], ours[c][i]) for c, i, _ in picked])
    ours_all = scores([(w, h) for c in columns for w, h in zip(truth[c], ours[c], strict=True)])
    base = scores([(truth[c][i], label) for (c, i, _), label in zip(picked, presidio_labels, strict=True)])

    out = Console()
    out.print(f"load into DuckDB: {load_s:.2f} s (not timed for either side)")
    out.print(f"ours: column scan {scan_s:.2f} s ({cells_total / scan_s:,.0f} cells/s); scan + cell labels "
              f"{ours_s:.2f} s = {ours_rate:,.0f} cells/s over {cells_total:,} cells")
    out.print(f"checksum stage alone, cell labels without context: distinct hit values checked in Python "
              f"{distinct_s:.2f} s ({cells_total / distinct_s:,.0f} cells/s) vs Arrow UDF over every cell "
              f"{udf_s:.2f} s ({cells_total / udf_s:,.0f} cells/s)")
    subsample = "every cell" if len(picked) == cells_total else f"a stratified subsample of {len(picked):,} cells"
    out.print(f"presidio: {presidio_s:.2f} s = {presidio_rate:,.0f} cells/s on {subsample}")
    out.print(f"throughput ratio ours/presidio: {ratio:,.1f}x")
    table = Table(title=f"precision / recall / F1 per type, on the {len(picked):,} cells both labelled")
    for head in ("type", "ours P", "ours R", "ours F1", "presidio P", "presidio R", "presidio F1", "ours F1 (all)"):
        table.add_column(head, justify="right" if head != "type" else "left")
    for key in EVAL:
        o, b = ours_same[key], base[key]
        table.add_row(key, *(f"{o[m]:.3f}" for m in ("precision", "recall", "f1")),
                      *(f"{b[m]:.3f}" for m in ("precision", "recall", "f1")), f"{ours_all[key]['f1']:.3f}")
    out.print(table)
    f1_ours = {k: round(v["f1"], 4) for k, v in ours_same.items()}
    f1_base = {k: round(v["f1"], 4) for k, v in base.items()}
    met = ratio >= 10 and all(f1_ours[k] >= f1_base[k] for k in EVAL)
    result = {
        "bench": "classify",
        "size": args.size,
        "cells": cells_total,
        "ours": {"cells_per_s": round(ours_rate), "seconds": round(ours_s, 3), "scan_cells_per_s":
                 round(cells_total / scan_s), "checks_distinct_cells_per_s": round(cells_total / distinct_s),
                 "checks_udf_cells_per_s": round(cells_total / udf_s), "f1": f1_ours,
                 "f1_all_cells": {k: round(v["f1"], 4) for k, v in ours_all.items()}},
        "baseline": {"name": f"presidio-analyzer {version('presidio-analyzer')} NoOpNlpEngine + PatternRecognizers",
                     "cells": len(picked), "cells_per_s": round(presidio_rate), "seconds": round(presidio_s, 3),
                     "f1": f1_base},
        "ratio": round(ratio, 1),
        "target": ">= 10x throughput at equal or better F1",
        "met": met,
    }
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
