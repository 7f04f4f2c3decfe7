"""Demo catalogue content (一体化数字资源系统 IRS): applications, datasets, components, cloud resources.

Everything here is plain data built deterministically from a seed with `random.Random(seed)`; nothing
touches a database (see `digigov.demo.builder` for that). The literal tables live in JSON files under
`digigov/demo/data/`. Three sizes:

- ``small``  (tests): about 120 applications;
- ``medium`` (the default demo province): about 200 applications, 40 components, 60 datasets, 30 cloud
  resources;
- ``large``  (benchmarks): about 2,000 applications (template names repeat across regions with the
  region's name in front).

Each size holds a fixed core: the applications named in the 2021-08-29 press release and in the
reference notes (浙江公平在线, 浙江外卖在线, 民呼我为, 危化品全链条安全风险智控 …) with their real owners,
a few other well-known provincial applications, and one anchored instance of each per-domain template
(e.g. 杭州市智慧停车). The rest is filled from the templates in random regions, so that many applications
overlap partially in function, which is what the duplicate-construction check (应用查重) looks for.

`proposals(seed)` gives the 62 applications proposed by 24 Jinhua departments in the 2021 project
pre-review (金华市2021年项目预审); each carries the verdict it was built to receive (`expected`), but the
duplicate check computes its own.

Modules: `specs` (the shapes and sizes), `resources` (cloud resources, components, datasets),
`applications`, `assemble` (the catalogue and its checks), `jinhua_review` (the proposals), `regions`,
`tables` (the JSON loader).
"""

from digigov.demo.content.applications import AppTemplate
from digigov.demo.content.assemble import catalogue, core_applications, dependency_problems, summary
from digigov.demo.content.jinhua_review import (
    EXPECTED_DISTRIBUTION,
    JINHUA,
    KNOWN_PAIRS,
    PROPOSAL_COUNT,
    proposals,
    restate,
)
from digigov.demo.content.regions import department_codes
from digigov.demo.content.resources import P_NODE, P_NODE2
from digigov.demo.content.specs import (
    APP_COUNTS,
    DEFAULT_SEED,
    MEDIUM_DATASETS,
    PROVINCE,
    SCALES,
    SYSTEMS,
    AppSpec,
    Catalogue,
    CloudSpec,
    ComponentSpec,
    DatasetSpec,
    Proposal,
)

__all__ = [
    "APP_COUNTS",
    "DEFAULT_SEED",
    "EXPECTED_DISTRIBUTION",
    "JINHUA",
    "KNOWN_PAIRS",
    "MEDIUM_DATASETS",
    "P_NODE",
    "P_NODE2",
    "PROPOSAL_COUNT",
    "PROVINCE",
    "SCALES",
    "SYSTEMS",
    "AppSpec",
    "AppTemplate",
    "Catalogue",
    "CloudSpec",
    "ComponentSpec",
    "DatasetSpec",
    "Proposal",
    "catalogue",
    "core_applications",
    "department_codes",
    "dependency_problems",
    "proposals",
    "restate",
    "summary",
]
