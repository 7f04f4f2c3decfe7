"""Files stream: reading one into a file-backed warehouse (with a memory limit, as the warehouse sets
one) grows the process by far less than the file's size. Measured in a fresh process, so the peak
resident size is this read's and not an earlier test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import duckdb
from digigov.platform.ingest.readers import read_into
source, db = Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
con.execute("SET memory_limit = '96MB'")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
info = read_into(con, source, "staging.big", temp_dir=Path(db).parent / "tmp")
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
staged = con.execute("SELECT count(*) FROM staging.big").fetchall()[0][0]
print(json.dumps({"growth_kb": after - before, "seconds": seconds, "rows_in": info.rows_in, "staged": staged,
                  "rejects": len(info.rejects), "encoding": info.encoding}))
"""

_ROW = ('{i},张三{i},33010619900101{j:04d},138{i:08d},"浙江省杭州市西湖区文三路{k}号",{a}.50,2024-01-{d:02d},'
        '"备注, 含逗号",A{k},{j}\n')


def _write(path: Path, target_mb: int, codec: str) -> int:
    block = "".join(_ROW.format(i=i, j=i % 10000, k=i % 500, a=i * 3, d=i % 28 + 1) for i in range(50_000))
    data = block.encode(codec)
    rows = 0
    with path.open("wb") as f:
        f.write("编号,姓名,身份证号,电话,地址,金额,日期,备注,类别,状态\n".encode(codec))
        while f.tell() < target_mb << 20:
            f.write(data)
            rows += 50_000
    return rows


def _read_in_child(source: Path, tmp_path: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(source), str(tmp_path / "warehouse.duckdb")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(("codec", "megabytes"), [("utf-8", 300), ("gbk", 200)])
def test_reading_a_large_file_streams(tmp_path, codec, megabytes):
    source = tmp_path / f"big-{codec}.csv"
    rows = _write(source, megabytes, codec)
    size = source.stat().st_size
    result = _read_in_child(source, tmp_path)
    print(f"{codec}: {size >> 20} MB read in {result['seconds']:.1f} s, peak RSS grew {result['growth_kb']} kB")
    assert result["rows_in"] == rows and result["staged"] == rows and result["rejects"] == 0
    assert result["encoding"] == codec
    growth = int(result["growth_kb"]) * 1024  # type: ignore[call-overload]
    assert growth < size / 2, f"peak RSS grew {growth >> 20} MB reading a {size >> 20} MB file"
    assert not (tmp_path / "tmp").exists() or list((tmp_path / "tmp").iterdir()) == []
