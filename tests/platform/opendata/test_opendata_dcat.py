"""The DCAT-AP catalogue in JSON-LD and Turtle, parsed back with rdflib: datasets, titles in two languages,
publisher, licence, frequency, distributions; closed datasets and fields absent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opendata_helpers import LICENCE_COLS, PERSONAL_COLS, Col, licence_rows, make_dataset
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from sqlalchemy.orm import Session

BASE = "http://testserver"


@pytest.fixture
def published(session: Session) -> None:
    make_dataset(session, "mr_food_licence_notice", LICENCE_COLS, licence_rows(3), name="食品经营许可公示",
                 name_en="Food business licences", tags=["食品", "许可"], description="食品经营许可证的公示信息。")
    make_dataset(session, "ag_project_notice", [Col("项目名称")], [["道路硬化"]], name="村级工程项目公示",
                 name_en="Village projects", owner="330106-agriculture", frequency="每月",
                 attributes={"license": "CC0-1.0"})
    make_dataset(session, "ps_household", [Col("姓名", "L3"), Col("公民身份号码", "L4")], [["张三", "1"]],
                 name="户籍人口")
    make_dataset(session, "stale_grade", [*LICENCE_COLS, *PERSONAL_COLS], licence_rows(2, personal=True),
                 grade="L1", name="许可登记", name_en="Licence register")
    session.commit()


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
@pytest.mark.parametrize(("path", "fmt", "media"), [("/catalog.ttl", "turtle", "text/turtle"),
                                                    ("/catalog.jsonld", "json-ld", "application/ld+json")])
def test_the_catalogue_parses_back(client: TestClient, published: None, path: str, fmt: str, media: str) -> None:
    DCAT, DCTERMS, FOAF, RDF = ns.DCAT, ns.DCTERMS, ns.FOAF, ns.RDF  # noqa: N806  (not module names: pytest probes those)
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    g = Graph().parse(data=r.content, format=fmt)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    datasets = set(g.objects(catalog, DCAT.dataset))
    assert datasets == {URIRef(f"{BASE}/open/datasets/{c}")
                        for c in ("mr_food_licence_notice", "ag_project_notice", "stale_grade")}
    ds = URIRef(f"{BASE}/open/datasets/mr_food_licence_notice")
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert set(g.objects(ds, DCTERMS.title)) == {Literal("食品经营许可公示", lang="zh"),
                                                 Literal("Food business licences", lang="en")}
    assert Literal("食品经营许可证的公示信息。", lang="zh") in set(g.objects(ds, DCTERMS.description))
    assert set(g.objects(ds, DCAT.keyword)) == {Literal("食品", lang="zh"), Literal("许可", lang="zh")}
    publisher = g.value(ds, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g and g.value(publisher, FOAF.name) is not None
    assert Literal("杭州市公安局", lang="zh") in set(g.objects(publisher, FOAF.name))
    assert g.value(ds, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert g.value(ds, DCTERMS.accrualPeriodicity) == \
        URIRef("http://publications.europa.eu/resource/authority/frequency/DAILY")
    assert g.value(ds, DCTERMS.modified) is not None
    dists = set(g.objects(ds, DCAT.distribution))
    assert len(dists) == 3
    downloads = {str(g.value(d, DCAT.downloadURL)): (str(g.value(d, DCTERMS.format)), str(g.value(d, DCAT.mediaType)))
                 for d in dists}
    assert downloads == {
        f"{BASE}/open/datasets/mr_food_licence_notice.csv": (
            "http://publications.europa.eu/resource/authority/file-type/CSV",
            "https://www.iana.org/assignments/media-types/text/csv"),
        f"{BASE}/open/datasets/mr_food_licence_notice.json": (
            "http://publications.europa.eu/resource/authority/file-type/JSON",
            "https://www.iana.org/assignments/media-types/application/json"),
        f"{BASE}/open/datasets/mr_food_licence_notice.parquet": (
            "http://publications.europa.eu/resource/authority/file-type/PARQUET",
            "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet"),
    }
    assert all(g.value(d, DCAT.accessURL) == ds for d in dists)
    other = URIRef(f"{BASE}/open/datasets/ag_project_notice")
    assert g.value(other, DCTERMS.license) == URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
    assert g.value(other, DCTERMS.accrualPeriodicity).endswith("/MONTHLY")  # type: ignore[union-attr]
    text = r.content.decode("utf-8")
    assert "ps_household" not in text and "户籍人口" not in text
    assert "法定代表人" not in text and "法人1号" not in text
