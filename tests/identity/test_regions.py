from digigov.identity.regions import department_kinds, zhejiang_regions


def test_zhejiang_has_11_cities_and_90_county_level_divisions() -> None:
    rows = zhejiang_regions()
    assert [r.code for r in rows if r.level == "province"] == ["330000"]
    cities = [r for r in rows if r.level == "city"]
    counties = [r for r in rows if r.level == "county"]
    assert len(cities) == 11
    assert len(counties) == 90
    codes = {r.code for r in rows}
    assert len(codes) == len(rows)
    for c in counties:
        assert c.parent_code in {x.code for x in cities}
        assert c.code[:4] == c.parent_code[:4]  # GB/T 2260 nesting
    by_code = {r.code: r.name for r in rows}
    assert by_code["330106"] == "西湖区"
    assert by_code["330113"] == "临平区"  # after Hangzhou's 2021 redistricting
    assert "330103" not in by_code  # 下城区 merged into 拱墅区


def test_department_kinds_include_the_data_authority() -> None:
    kinds = {k.kind: k for k in department_kinds()}
    assert kinds["big_data"].is_data_authority
    assert not kinds["public_security"].is_data_authority
    for name in ("公安", "民政", "人力社保", "卫生健康", "医疗保障", "市场监管", "应急管理", "生态环境",
                 "交通运输", "农业农村", "住房城乡建设", "文化广电旅游", "大数据局", "纪委监委", "人大常委会", "政协"):
        assert name in {k.name for k in kinds.values()}
