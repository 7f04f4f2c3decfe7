"""The public portal: no login, Chinese first and English, search and filters, the dataset page, downloads
(CSV with a BOM, JSON, Parquet), no console navigation for a visitor, the steward's download counts."""

from __future__ import annotations

import csv
import io
import re

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from opendata_helpers import LICENCE_COLS, PERSONAL_COLS, Col, licence_rows, make_dataset
from sqlalchemy.orm import Session
from tests.web.test_security import assert_page_is_self_contained

CODE = "mr_food_licence_notice"


@pytest.fixture
def published(session: Session) -> None:
    make_dataset(session, CODE, [*LICENCE_COLS, *PERSONAL_COLS], licence_rows(30, personal=True), grade="L1",
                 name="食品经营许可公示", name_en="Food business licences", tags=["食品", "许可"],
                 system="digital_economy", description="食品经营许可证的公示信息。")
    for i in range(11):
        make_dataset(session, f"ag_project_{i:02d}", [Col("项目名称"), Col("所属村")], [[f"项目{i}", "三墩村"]],
                     name=f"村级工程项目公示第{i}批", tags=["三资"], owner="330106-agriculture", frequency="每月")
    make_dataset(session, "ps_household", [Col("姓名", "L3"), Col("公民身份号码", "L4")], [["张三", "1"]],
                 name="户籍人口信息")
    session.commit()


def test_the_portal_lists_searches_filters_and_pages_without_login(client: TestClient, published: None) -> None:
    r = client.get("/open")
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    assert "浙江省公共数据开放平台" in r.text and "共 12 个开放数据集" in r.text
    assert 'class="subnav"' not in r.text and "/logout" not in r.text  # no console navigation for a visitor
    assert "户籍人口信息" not in r.text
    assert_page_is_self_contained(r.text)
    assert r.text.count('class="card hit open-hit"') == 10 and "第 1 页，共 2 页" in r.text
    second = client.get("/open?offset=10")
    assert second.text.count('class="card hit open-hit"') == 2
    found = client.get("/open", params={"q": "食品 许可"})
    assert re.findall(r'data-code="([a-z0-9_]+)"', found.text) == [CODE]
    by_org = client.get("/open", params={"organization": "330106-agriculture"})
    assert "共 11 个开放数据集" in by_org.text and CODE not in by_org.text
    by_tag = client.get("/open", params={"tag": "食品"})
    assert re.findall(r'data-code="([a-z0-9_]+)"', by_tag.text) == [CODE]
    by_frequency = client.get("/open", params={"frequency": "每月"})
    assert "共 11 个开放数据集" in by_frequency.text
    assert "共 0 个开放数据集" in client.get("/open", params={"q": "户籍人口"}).text
    assert client.get("/open", params={"q": 'tags:(x OR "y'}).status_code == 200  # the box takes words
    en = client.get("/open?lang=en")
    assert '<html lang="en">' in en.text and "12 open datasets" in en.text and "Publisher" in en.text


def test_the_dataset_page_shows_metadata_open_fields_and_a_preview(client: TestClient, published: None) -> None:
    r = client.get(f"/open/datasets/{CODE}")
    assert r.status_code == 200
    assert_page_is_self_contained(r.text)
    for text in ("食品经营许可公示", "杭州市公安局", "知识共享署名 4.0", "每日", "许可证编号", "JY133010000001",
                 f"/open/datasets/{CODE}.csv", f"/open/datasets/{CODE}.json", f"/open/datasets/{CODE}.parquet",
                 f"/api/3/action/package_show?id={CODE}"):
        assert text in r.text, text
    assert "法定代表人" not in r.text and "法人1号" not in r.text and "文三路" not in r.text  # grade-3 fields
    assert r.text.count("JY1330100000") == 20  # the first 20 rows
    assert re.findall(r'data-column="([^"]+)"', r.text) == [c.name for c in LICENCE_COLS]
    assert 'id="steward-downloads"' not in r.text and 'class="subnav"' not in r.text
    assert client.get("/open/datasets/ps_household").status_code == 404
    assert client.get("/open/datasets/no_such_thing").status_code == 404
    en = client.get(f"/open/datasets/{CODE}?lang=en")
    assert "Food business licences" in en.text and "Open fields" in en.text and "daily" in en.text


def test_downloads_stream_the_open_fields(client: TestClient, published: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/open/datasets/{CODE}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="{CODE}.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [c.name for c in LICENCE_COLS] and len(rows) == 31
    j = client.get(f"/open/datasets/{CODE}.json")
    assert j.status_code == 200 and len(j.json()) == 30 and set(j.json()[0]) == {c.name for c in LICENCE_COLS}
    p = client.get(f"/open/datasets/{CODE}.parquet")
    assert p.status_code == 200 and p.content[:4] == b"PAR1"
    (tmp_path / "d.parquet").write_bytes(p.content)
    table = pq.read_table(tmp_path / "d.parquet")
    assert table.column_names == [c.name for c in LICENCE_COLS] and table.num_rows == 30
    for body in (r.content.decode("utf-8-sig"), j.text):
        assert "法人" not in body and "文三路" not in body
    assert client.get(f"/open/datasets/{CODE}.xml").status_code == 404
    assert client.get("/open/datasets/ps_household.csv").status_code == 404
    assert "3 次下载" in client.get("/open", params={"q": "食品"}).text
    assert '<span class="reuse-n" id="open-download-count">3</span>' in client.get(f"/open/datasets/{CODE}").text


def test_the_owner_steward_sees_download_counts_others_do_not(client: TestClient, bearer, published: None) -> None:  # type: ignore[no-untyped-def]
    client.get(f"/open/datasets/{CODE}.csv")
    client.get(f"/open/datasets/{CODE}.csv")
    client.get("/api/3/action/datastore_search", params={"resource_id": CODE, "limit": 1})
    steward = bearer("hz_police_steward")  # the portal knows a signed-in user by session or token alike
    page = client.get(f"/open/datasets/{CODE}", headers=steward)
    assert 'id="steward-downloads"' in page.text and '<strong id="steward-total">3</strong>' in page.text
    assert re.search(r'data-channel="csv"><td>[^<]+</td><td class="right">2</td>', page.text)
    assert re.search(r'data-channel="datastore"><td>[^<]+</td><td class="right">1</td>', page.text)
    assert "本部门的开放数据集" in client.get("/open", headers=steward).text
    other = bearer("hz_civil_steward")
    assert 'id="steward-downloads"' not in client.get(f"/open/datasets/{CODE}", headers=other).text
    bad_token = client.get(f"/open/datasets/{CODE}", headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 200  # a bad token is just an anonymous visitor on the public portal
