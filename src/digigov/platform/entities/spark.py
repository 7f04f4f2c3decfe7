"""The Spark backend of the probabilistic step (`DIGIGOV_ENTITIES_ENGINE=spark`, the `spark` extra).

Splink runs the same settings on a SparkSession instead of DuckDB; the comparisons use only exact matches and
Levenshtein distances, which Spark has built in, so no Scala UDF jar is registered. The session is created once
per process from `DIGIGOV_ENTITIES_SPARK_MASTER` (``local[2]`` by default; a cluster's master URL in production)
with the web UI off.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from typing import Any

from digigov.core.errors import InvalidInput
from digigov.core.settings import get_settings


@cache
def session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the extra is not installed
        raise InvalidInput("the spark engine needs PySpark: pip install 'digigov[spark]'",
                           key="entities_spark_missing") from exc
    master = get_settings().entities_spark_master
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master(master).appName("digigov-entities")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.memory", "1g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(tempfile.gettempdir(), "digigov-spark-checkpoints"))
    return spark
