"""Register the test case type for every test of the engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from case_helpers import TYPE

from digigov.platform.cases import types
from digigov.platform.cases.types import CaseType


@pytest.fixture(autouse=True)
def case_type() -> Iterator[CaseType]:
    types.register(TYPE)
    yield TYPE
    types.unregister(TYPE.code)
