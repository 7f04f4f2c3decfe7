"""Every table of the operational store, imported so that Base.metadata knows them all."""

from digigov.audit import model as audit_model  # noqa: F401
from digigov.core.db import Base
from digigov.identity import model as identity_model  # noqa: F401
from digigov.platform.catalog import model as catalog_model  # noqa: F401
from digigov.platform.quality import model as quality_model  # noqa: F401
from digigov.platform.warehouse import model as warehouse_model  # noqa: F401

metadata = Base.metadata
