"""Every table of the operational store, imported so that Base.metadata knows them all."""

from digigov.apps.digital_government.cross_province_services import model as cross_province_model  # noqa: F401
from digigov.apps.digital_government.food_delivery_online import model as food_delivery_model  # noqa: F401
from digigov.apps.digital_society.people_call_we_act import model as people_call_model  # noqa: F401
from digigov.apps.party_governance.grassroots_power_supervision import model as grassroots_supervision_model  # noqa: F401,E501
from digigov.apps.party_governance.seven_problem_lists import model as seven_problem_lists_model  # noqa: F401
from digigov.apps.rule_of_law.social_risk_closed_loop import model as social_risk_model  # noqa: F401
from digigov.audit import model as audit_model  # noqa: F401
from digigov.core import bus_model, workdays_model  # noqa: F401
from digigov.core.db import Base
from digigov.identity import model as identity_model  # noqa: F401
from digigov.platform.bundles import model as bundles_model  # noqa: F401
from digigov.platform.cases import model as cases_model  # noqa: F401
from digigov.platform.catalog import model as catalog_model  # noqa: F401
from digigov.platform.entities import model as entities_model  # noqa: F401
from digigov.platform.federation import model as federation_model  # noqa: F401
from digigov.platform.indicators import model as indicators_model  # noqa: F401
from digigov.platform.lists import model as lists_model  # noqa: F401
from digigov.platform.quality import model as quality_model  # noqa: F401
from digigov.platform.rules import model as rules_model  # noqa: F401
from digigov.platform.sharing import model as sharing_model  # noqa: F401
from digigov.platform.warehouse import model as warehouse_model  # noqa: F401

metadata = Base.metadata
