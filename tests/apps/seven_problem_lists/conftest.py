"""The app registered as its entry point registers it (an installation older than the entry point lacks it)."""

from __future__ import annotations

import pytest

from digigov.apps import registry
from digigov.apps.party_governance.seven_problem_lists import plugin


@pytest.fixture(autouse=True)
def installed() -> None:
    pm = registry.plugin_manager()
    if not pm.has_plugin("seven_problem_lists") and not pm.is_registered(plugin):
        pm.register(plugin, name="seven_problem_lists")
    registry.load()
