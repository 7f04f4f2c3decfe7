"""The dispatch taxonomy: enough categories over enough departments, and routing by tier."""

import pytest

from digigov.apps.digital_society.people_call_we_act import taxonomy
from digigov.core.errors import InvalidInput, NotFound
from digigov.identity.regions import department_kinds


def test_categories_cover_departments() -> None:
    codes = [c.code for c in taxonomy.CATEGORIES]
    assert len(codes) >= 32 and len(set(codes)) == len(codes)
    assert all(code.isascii() and code.isidentifier() for code in codes)
    kinds = {k.kind for k in department_kinds()}
    used = {c.department_kind for c in taxonomy.CATEGORIES}
    assert used <= kinds and len(used) >= 20
    for c in taxonomy.CATEGORIES:
        assert c.tier in {"county", "city"} and 1 <= c.sla_workdays <= 15 and c.keywords and c.name and c.name_en
        assert not c.urgent or c.sla_workdays <= 2, c.code


def test_route_by_tier() -> None:
    assert taxonomy.route("noise_social", "330106") == "330106-public_security"
    assert taxonomy.route("property_management", "330113") == "330113-housing"
    assert taxonomy.route("housing_management", "330106") == "330100-housing"  # city tier
    assert taxonomy.route("water_outage", "330182") == "330100-urban_management"
    assert taxonomy.route("water_outage", "330100") == "330100-urban_management"
    assert taxonomy.BY_CODE["water_outage"].urgent and taxonomy.BY_CODE["water_outage"].sla_workdays == 1


def test_route_rejects_unknowns() -> None:
    with pytest.raises(NotFound):
        taxonomy.route("no_such_category", "330106")
    with pytest.raises(InvalidInput):
        taxonomy.route("noise_social", "west")
