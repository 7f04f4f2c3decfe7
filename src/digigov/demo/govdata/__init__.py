"""The demo province's department data (部门数据): a deterministic generator of realistic department
files, with known noise, and the truth that tests and entity linkage measure themselves against.

    generate(out_dir, size="small", seed=2021) -> GeneratedData

writes nine files of six departments (公安 household register, 民政 deaths and subsistence allowances,
市场监管 enterprise registry and food licences, 人力社保 contributions, 医保 claims, 农业农村 village
projects and contracts) in their departments' own formats and encodings, and ``truth/``: one Parquet file
per dataset (record, entity, noise kinds, planted anomalies), the clean ``people.parquet`` and
``enterprises.parquet``, and ``manifest.json`` with the counts.
"""

from digigov.demo.govdata.catalog import SIZES, SPECS, DemoFile, GeneratedData
from digigov.demo.govdata.generator import generate
from digigov.demo.govdata.noise import RATES

__all__ = ["RATES", "SIZES", "SPECS", "DemoFile", "GeneratedData", "generate"]
