"""Near-identical ticket texts and the 50 m rule."""

from digigov.apps.digital_society.people_call_we_act import textsim

A = "市民来电反映：拱墅区米市巷街道湖墅南路那边爆管了，整个小区停水，到现在还没来水。请尽快恢复供水。"
B = "再次来电反映：拱墅区米市巷街道湖墅南路那边爆管了，整个小区停水，到现在还没来水。请尽快恢复供水"
C = "你好，西湖区文三路的路灯坏了一个多礼拜，晚上黑灯瞎火的走路很危险。"


def test_similar() -> None:
    assert textsim.similar(A, B) > 0.95
    assert textsim.similar(A, C) < 0.1
    assert textsim.similar(A, A) == 1.0
    assert textsim.similar("", A) == 0.0


def test_near_duplicates() -> None:
    edited = A.replace("到现在还没来水", "到现在都没有来水")
    found = textsim.near_duplicates(A, [(1, C), (2, B), (3, edited), (4, "停水")], threshold=0.8)
    assert [i for i, _ in found] == [2, 3]
    assert found[0][1] >= found[1][1]


def test_within_metres() -> None:
    lon, lat = 120.161, 30.293
    assert textsim.within_metres(lon, lat, lon + 0.0004, lat)  # about 38 m east
    assert not textsim.within_metres(lon, lat, lon + 0.0006, lat)  # about 58 m
    assert 1100 < textsim.distance_m(lon, lat, lon, lat + 0.01) < 1120
    near = textsim.nearby(lon, lat, [("a", lon, lat + 0.0003), ("b", lon + 0.01, lat), ("c", lon, lat)])
    assert [i for i, _ in near] == ["c", "a"]
