"""The permission matrix: each role x each action, allowed or refused."""

from dataclasses import dataclass

import pytest

from digigov.core.errors import PermissionDenied
from digigov.identity.actor import Actor
from digigov.identity.permissions import RULES, can, region_covers, require

HZ_POLICE = 11
HZ_CIVIL = 12
HZ_BIGDATA = 13
NB_BIGDATA = 14


def person(role: str, dept: int = HZ_POLICE, region: str = "330100", level: str = "city",
           authority: bool = False, uid: int = 1) -> Actor:
    return Actor(username=f"{role}-{dept}", roles=frozenset({role}), user_id=uid, department_id=dept,
                 region_code=region, region_level=level, is_data_authority=authority)


@dataclass
class Thing:
    department_id: int = HZ_POLICE
    region_code: str = "330106"  # 西湖区, inside 杭州市
    requester_id: int = 1
    user_id: int = 1


ROLES = ("platform_admin", "data_steward", "officer", "approver", "auditor")

# action -> the roles allowed on a target owned by the actor's own department (HZ_POLICE)
EXPECTED_OWN = {
    "catalog.search": set(ROLES),
    "catalog.view": set(ROLES),
    "catalog.manage": {"platform_admin", "data_steward"},
    "cart.submit": {"officer", "data_steward"},
    "request.review_owner": {"data_steward", "approver"},
    "request.provision": {"data_steward", "approver"},
    "duplicate_check.run": {"platform_admin", "data_steward", "officer", "approver"},
    "admin.users": {"platform_admin"},
    "admin.departments": {"platform_admin"},
    "audit.read": {"auditor"},
    "audit.verify": {"auditor", "platform_admin"},
    "standards.view": set(ROLES),
    "dataset.view": set(ROLES),
    "dataset.ingest": {"platform_admin", "data_steward"},
    "dataset.classify": {"platform_admin", "data_steward"},
    "dataset.rows": {"platform_admin", "data_steward", "officer", "approver"},
    "dataset.rows_unmasked": {"data_steward"},
    "dataset.derive": {"platform_admin"},
    "quality.rule.manage": {"platform_admin", "data_steward"},
    "quality.issue.view": {"platform_admin", "data_steward", "officer", "approver"},
    "quality.issue.respond": {"data_steward", "officer"},
    # a case assigned to the actor's department (its dispatcher is another department)
    "case.create": {"platform_admin", "data_steward", "officer", "approver"},
    "case.view": set(ROLES),
    "case.triage": {"platform_admin"},
    "case.handle": {"data_steward", "officer", "approver"},
    "case.verify": {"platform_admin"},
    "case.supervise": {"platform_admin"},
    "case.inbox": {"platform_admin", "data_steward", "officer", "approver"},
    "calendar.manage": {"platform_admin"},
    "rule.view": set(ROLES),
    "rule.manage": {"platform_admin"},
    "rule.run": {"platform_admin"},
    "signal.view": {"platform_admin", "data_steward", "officer", "approver"},
    "indicator.view": set(ROLES),
    "indicator.manage": {"platform_admin"},
    "open311.keys": {"platform_admin"},
    "federation.manage": {"platform_admin"},
    "federation.view": {"platform_admin", "auditor"},
    "federation.send": {"platform_admin", "data_steward", "officer", "approver"},
    "xps.apply": {"platform_admin", "data_steward", "officer", "approver"},
    "xps.view": set(ROLES),
    "sharing.request": {"officer", "data_steward"},
    "sharing.read": {"platform_admin", "data_steward", "officer", "approver"},
    "sharing.view": set(ROLES),
    "sharing.review": {"data_steward", "approver"},
    "sharing.review_authority": set(),
    "sharing.revoke": {"platform_admin", "data_steward", "approver"},
    "sharing.usage": {"platform_admin", "auditor"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(EXPECTED_OWN))
def test_matrix_on_own_department(role: str, action: str) -> None:
    allowed = role in EXPECTED_OWN[action]
    assert can(person(role), action, Thing()) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            require(person(role), action, Thing())


@pytest.mark.parametrize("role", ("data_steward", "approver"))
@pytest.mark.parametrize("action", ("request.review_owner", "request.provision", "catalog.manage"))
def test_other_departments_resources_are_not_yours(role: str, action: str) -> None:
    assert not can(person(role, dept=HZ_CIVIL), action, Thing(department_id=HZ_POLICE))


def test_authority_review_needs_the_data_authority_of_a_covering_region() -> None:
    item = Thing(region_code="330106")
    assert can(person("approver", HZ_BIGDATA, "330100", "city", authority=True), "request.review_authority", item)
    assert can(person("approver", 1, "330000", "province", authority=True), "request.review_authority", item)
    # Ningbo's authority has no say over a Hangzhou item; a non-authority approver never has
    assert not can(person("approver", NB_BIGDATA, "330200", "city", authority=True),
                   "request.review_authority", item)
    assert not can(person("approver", HZ_POLICE, "330100", "city"), "request.review_authority", item)
    assert not can(person("officer", HZ_BIGDATA, "330100", "city", authority=True),
                   "request.review_authority", item)


def test_requests_and_tokens_belong_to_their_owner() -> None:
    assert can(person("officer", uid=7), "request.view", Thing(requester_id=7))
    assert not can(person("officer", uid=8), "request.view", Thing(requester_id=7))
    assert can(person("officer", uid=7), "token.create", Thing(user_id=7))
    assert not can(person("officer", uid=8), "token.revoke", Thing(user_id=7))
    assert can(person("platform_admin", uid=8), "token.revoke", Thing(user_id=7))


def test_an_anonymous_caller_may_do_nothing() -> None:
    nobody = Actor(username="anonymous")
    assert not any(can(nobody, action, Thing()) for action in RULES)


def test_unknown_actions_are_a_programming_error() -> None:
    with pytest.raises(KeyError):
        can(person("platform_admin"), "catalog.delete_everything")


def test_region_nesting_follows_gb2260_prefixes() -> None:
    assert region_covers("330000", "province", "331127")
    assert region_covers("330100", "city", "330106")
    assert not region_covers("330100", "city", "330212")
    assert region_covers("330106", "county", "330106")
    assert not region_covers("330106", "county", "330108")


def test_dataset_rows_stay_in_the_owner_department() -> None:
    other = Thing(department_id=HZ_CIVIL)
    for role in ("data_steward", "officer", "approver"):
        assert not can(person(role), "dataset.rows", other)
        assert not can(person(role), "dataset.ingest", other)
    assert not can(person("data_steward"), "dataset.rows_unmasked", other)


def test_derived_datasets_and_platform_rules_belong_to_the_data_authority() -> None:
    authority_steward = person("data_steward", HZ_BIGDATA, "330100", "city", authority=True)
    assert can(authority_steward, "dataset.derive")
    assert not can(person("data_steward"), "dataset.derive")
    element_rule = Thing(department_id=None)  # type: ignore[arg-type]
    assert can(authority_steward, "quality.rule.manage", element_rule)
    assert not can(person("data_steward"), "quality.rule.manage", element_rule)
    assert can(person("data_steward"), "quality.rule.manage", Thing())


def test_the_covering_authority_sees_quality_issues_of_its_region() -> None:
    issue = Thing(department_id=HZ_POLICE, region_code="330106")
    assert can(person("approver", HZ_BIGDATA, "330100", "city", authority=True), "quality.issue.view", issue)
    assert not can(person("approver", NB_BIGDATA, "330200", "city", authority=True), "quality.issue.view", issue)


@dataclass
class CaseThing:
    """A case: dispatched by 杭州市12345 (HZ_HOTLINE), assigned to a 西湖区 department."""

    department_id: int | None = HZ_POLICE
    owner_department_id: int = 21
    owner_department_kind: str = "hotline"
    region_code: str = "330106"


def test_the_dispatching_department_triages_verifies_and_its_approvers_supervise() -> None:
    case = CaseThing()
    dispatcher = Actor(username="d", roles=frozenset({"officer"}), user_id=3, department_id=21,
                       department_kind="hotline", region_code="330100", region_level="city")
    assert can(dispatcher, "case.triage", case) and can(dispatcher, "case.verify", case)
    assert not can(dispatcher, "case.handle", case) and not can(dispatcher, "case.supervise", case)
    supervisor = Actor(username="s", roles=frozenset({"approver"}), user_id=4, department_id=21,
                       department_kind="hotline", region_code="330100", region_level="city")
    assert can(supervisor, "case.supervise", case)
    # the province's 12345 centre supervises a Hangzhou case; Ningbo's does not, nor another kind of department
    province = Actor(username="p", roles=frozenset({"approver"}), user_id=5, department_id=99,
                     department_kind="hotline", region_code="330000", region_level="province")
    ningbo = Actor(username="n", roles=frozenset({"approver"}), user_id=6, department_id=98,
                   department_kind="hotline", region_code="330200", region_level="city")
    other = Actor(username="o", roles=frozenset({"approver"}), user_id=7, department_id=97,
                  department_kind="housing", region_code="330100", region_level="city")
    assert can(province, "case.supervise", case)
    assert not can(ningbo, "case.supervise", case) and not can(other, "case.supervise", case)
    # citizens file cases through public channels only; the assigned department handles, others do not
    assert can(Actor(username="citizen:web", via="citizen"), "case.create")
    assert not can(person("officer", dept=HZ_CIVIL), "case.handle", case)
