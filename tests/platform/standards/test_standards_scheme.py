"""Grades, GB/T 43697 levels, the crosswalk and "就高从严"."""

from __future__ import annotations

import pytest

from digigov.platform.standards import registry, scheme


def test_grades_and_ranks():
    assert scheme.GRADES == ("L1", "L2", "L3", "L4")
    assert [scheme.grade_rank(g) for g in scheme.GRADES] == [1, 2, 3, 4]
    assert scheme.gb_rank("general_1") == 1 and scheme.gb_rank("core") == 6
    with pytest.raises(ValueError, match="unknown grade"):
        scheme.grade_rank("L5")


def test_max_grade_takes_the_strictest():
    assert scheme.max_grade(["L2", "L4", "L1"]) == "L4"
    assert scheme.max_grade(iter(["L3", "L2"])) == "L3"
    assert scheme.max_grade([]) == "L1"
    assert scheme.max_gb_level(["general_2", "important", "general_4"]) == "important"
    assert scheme.max_gb_level([]) == "general_1"


def test_crosswalk():
    assert scheme.crosswalk() == {"L4": "general_4", "L3": "general_3", "L2": "general_2", "L1": "general_1"}
    assert scheme.gb_for("L3") == "general_3"
    assert scheme.grade_for_gb("general_2") == "L2"
    assert scheme.grade_for_gb("important") == "L4"
    assert scheme.grade_for_gb("core") == "L4"
    assert scheme.effective_grade("L1", "general_3") == "L3"
    assert scheme.effective_grade("L4", "general_1") == "L4"


def test_handling_and_opening():
    assert scheme.is_open_allowed("L1", "general_1")
    assert not scheme.is_open_allowed("L1", "general_2")  # the national level makes it L2
    assert not scheme.is_open_allowed("L1", "important")  # important data never opens
    assert not scheme.is_open_allowed("L1", "core")
    assert not scheme.is_open_allowed("L2", "general_1")
    assert scheme.handling("L2") == "restricted"
    assert scheme.handling("L3", "general_3") == "restricted"
    assert scheme.handling("L4") == "closed"
    assert scheme.handling("L2", "important") == "closed"


def test_labels():
    assert scheme.grade_label("L1") == "不敏感数据"
    assert scheme.grade_label("L3", "en") == "Fairly sensitive"
    assert scheme.grade_label("L4") == "敏感数据"
    assert scheme.grade_label("L2") == "低敏感数据"
    assert scheme.gb_label("general_4") == "一般数据4级"
    assert scheme.gb_label("core", "en") == "Core data"
    assert scheme.handling_label("restricted") == "受限开放"


def test_scheme_dimensions_hold_the_attribute_values():
    s = registry.scheme()
    sec = s.dimension("security_protection").values()
    for value in ("无条件共享", "有条件共享", "不予共享", "无条件开放", "受限开放", "禁止开放"):
        assert value in sec
    assert {"个人数据", "法人数据", "自然资源数据", "公共管理数据"} <= set(s.dimension("data_object").values())
    freq = next(a for a in s.dimension("data_management").attributes if a.id == "update_frequency")
    assert [v.zh for v in freq.values] == ["实时", "每日", "每周", "每月", "每季度", "每年", "不定期"]


def test_elements_follow_the_crosswalk_and_opening_rules():
    for el in registry.elements().values():
        assert el.gb_level == scheme.gb_for(el.grade), el.id
        sec = el.tags["security_protection"]
        if "无条件开放" in sec:
            assert scheme.is_open_allowed(el.grade, el.gb_level), el.id
        if el.grade == "L4":
            assert "禁止开放" in sec, el.id
        if el.grade in ("L3", "L4") and el.masking is None:
            pytest.fail(f"{el.id}: a grade-3/4 element needs a masking rule")
