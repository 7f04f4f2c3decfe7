"""The open catalogue as DCAT-AP (W3C DCAT 2 with the EU application profile), built with rdflib.

One `dcat:Catalog` at `<site>/catalog` lists a `dcat:Dataset` per open dataset (its IRI is the portal page)
with titles in Chinese and English (`@zh`, `@en`), description, publisher (`foaf:Agent`, the owner
department), keywords, licence, update frequency (the EU frequency authority), modification time, a contact
point, and one `dcat:Distribution` per download format with access and download URLs, the EU file-type
`dct:format` and the IANA `dcat:mediaType`. Serialised as JSON-LD and Turtle.
"""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from digigov.core.settings import get_settings
from digigov.identity.model import Department
from digigov.platform.opendata import service
from digigov.platform.opendata.service import FORMAT_LABELS, FORMATS, MEDIA_TYPES, OpenDataset

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPES = {"csv": "CSV", "json": "JSON", "parquet": "PARQUET"}
CONTEXT = {"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "vcard": str(VCARD), "xsd": str(XSD)}


def _agent(g: Graph, site: str, dept: Department) -> URIRef:
    agent = URIRef(f"{site}/open?organization={service.organization_name(dept)}")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(dept.name, lang="zh")))
    if dept.name_en:
        g.add((agent, FOAF.name, Literal(dept.name_en, lang="en")))
    g.add((agent, DCTERMS.identifier, Literal(dept.code)))
    return agent


def _dataset(g: Graph, site: str, view: OpenDataset) -> URIRef:
    page = f"{site}/open/datasets/{view.code}"
    ds = URIRef(page)
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(view.code)))
    g.add((ds, DCTERMS.title, Literal(view.name, lang="zh")))
    if view.name_en:
        g.add((ds, DCTERMS.title, Literal(view.name_en, lang="en")))
    g.add((ds, DCTERMS.description, Literal(view.description or view.name, lang="zh")))
    g.add((ds, DCTERMS.publisher, _agent(g, site, view.owner)))
    for tag in view.tags:
        g.add((ds, DCAT.keyword, Literal(tag, lang="zh")))
    licence = URIRef(view.license.url) if view.license.url else URIRef(f"{site}/open/licenses/{view.license.id}")
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, DCTERMS.title, Literal(view.license.title, lang="zh")))
    g.add((ds, DCTERMS.license, licence))
    g.add((ds, DCTERMS.accrualPeriodicity, FREQUENCY[service.FREQUENCY_CODES.get(view.frequency, "IRREG")]))
    g.add((ds, DCTERMS.issued, Literal(view.created, datatype=XSD.dateTime)))
    g.add((ds, DCTERMS.modified, Literal(view.modified, datatype=XSD.dateTime)))
    g.add((ds, DCTERMS.language, LANGUAGE.ZHO))
    g.add((ds, DCAT.landingPage, URIRef(page)))
    g.add((ds, DCTERMS.spatial, Literal(view.owner.region_code)))
    contact = URIRef(f"{page}#contact")
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(view.owner.name, lang="zh")))
    g.add((ds, DCAT.contactPoint, contact))
    for fmt in FORMATS:
        dist = URIRef(f"{page}#{fmt}")
        url = URIRef(f"{site}/open/datasets/{view.code}.{fmt}")
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{view.name} ({FORMAT_LABELS[fmt]})", lang="zh")))
        g.add((dist, DCAT.accessURL, URIRef(page)))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCTERMS.format, FILE_TYPE[FILE_TYPES[fmt]]))
        g.add((dist, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[fmt])))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCTERMS.modified, Literal(view.modified, datatype=XSD.dateTime)))
        g.add((ds, DCAT.distribution, dist))
    return ds


def catalog_graph(site: str, views: list[OpenDataset]) -> Graph:
    """The DCAT-AP graph of the open catalogue served at `site` (absolute base URL, no trailing slash)."""
    g = Graph()
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, ns)
    settings = get_settings()
    catalog = URIRef(f"{site}/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(settings.open_site_title, lang="zh")))
    g.add((catalog, DCTERMS.title, Literal("Zhejiang Public Data Open Platform", lang="en")))
    g.add((catalog, DCTERMS.description, Literal("浙江省一体化智能化公共数据平台开放的一级（不敏感）数据集。",
                                                 lang="zh")))
    g.add((catalog, DCTERMS.description, Literal("Grade-1 (not sensitive) datasets opened by the Zhejiang "
                                                 "integrated public data platform.", lang="en")))
    g.add((catalog, FOAF.homepage, URIRef(f"{site}/open")))
    g.add((catalog, DCTERMS.language, LANGUAGE.ZHO))
    publisher = URIRef(f"{site}/open")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(settings.open_site_title, lang="zh")))
    g.add((catalog, DCTERMS.publisher, publisher))
    if views:
        g.add((catalog, DCTERMS.modified, Literal(max(v.modified for v in views), datatype=XSD.dateTime)))
    for view in views:
        g.add((catalog, DCAT.dataset, _dataset(g, site, view)))
    return g


def serialise(graph: Graph, fmt: str) -> bytes:
    """`jsonld` or `ttl` bytes of the graph."""
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=CONTEXT, indent=2).encode("utf-8")
    return graph.serialize(format="turtle").encode("utf-8")
