"""Per-value normaliser steps."""

from __future__ import annotations

import pytest

from digigov.platform.standards.normalize import NormalizeError, normalize


@pytest.mark.parametrize(("steps", "raw", "expected"), [
    (["halfwidth"], "ＡＢＣ１２３　（测试）", "ABC123 (测试)"),
    # the full-width comma is full-width ASCII; CJK punctuation is kept
    (["halfwidth"], "你好，世界。「注」、", "你好,世界。「注」、"),
    (["trim"], "  张\t\t三  \n", "张 三"),
    (["trim"], "\u3000李四\u00a0", "李四"),
    (["nospace"], " 330106 1990 ", "3301061990"),
    (["upper"], "abcß", "ABCß"),
    (["lower"], "ABC@Example.COM", "abc@example.com"),
    (["simplified"], "臺灣省國家圖書館", "台湾省国家图书馆"),
    (["digits_only"], "6222-0212 3456", "622202123456"),
    (["phone"], "+86 138-1234-5678", "13812345678"),
    (["phone"], "0086(138)12345678", "13812345678"),
    (["phone"], "0571-8888 8888", "057188888888"),
    (["gender"], "男", "男"), (["gender"], "2", "女"), (["gender"], "M", "男"), (["gender"], "Female", "女"),
    (["gender"], "男性", "男"), (["gender"], "女性", "女"), (["gender"], "f", "女"),
    (["date"], "2021-08-05", "2021-08-05"), (["date"], "2021/8/5", "2021-08-05"), (["date"], "2021.8.5", "2021-08-05"),
    (["date"], "2021年8月5日", "2021-08-05"), (["date"], "20210805", "2021-08-05"),
    (["date"], "2021-08-05 10:00:00", "2021-08-05"), (["date"], "2021-08-05T10:00", "2021-08-05"),
    (["date"], "44413", "2021-08-05"), (["date"], "1", "1899-12-31"), (["date"], "44413.75", "2021-08-05"),
    (["date"], "2024-02-29", "2024-02-29"),
    (["amount"], "1,234.50", "1234.5"), (["amount"], "1234.5元", "1234.5"), (["amount"], "12.5万元", "125000"),
    (["amount"], "12.5万", "125000"), (["amount"], "￥1,234", "1234"), (["amount"], "１２３４．５", "1234.5"),
    (["amount"], "-3.00", "-3"), (["amount"], "1.2亿", "120000000"), (["amount"], "¥ 0.05 元", "0.05"),
    (["amount"], "-0", "0"), (["amount"], "1000", "1000"),
    (["halfwidth", "trim", "date"], "　２０２１年８月５日 ", "2021-08-05"),
    (["halfwidth", "nospace", "upper"], "１１０１０５ １９４９１２３１ ００２ｘ", "11010519491231002X"),
])
def test_steps(steps, raw, expected):
    assert normalize(steps, raw) == expected


@pytest.mark.parametrize(("steps", "raw", "reason"), [
    (["date"], "2021-02-30", "date_format"),
    (["date"], "2021-13-01", "date_format"),
    (["date"], "next tuesday", "date_format"),
    (["date"], "0", "date_format"),
    (["date"], "80001", "date_format"),
    (["date"], "2021-08-05 25:00", "date_format"),
    (["amount"], "12.5.3", "amount_format"),
    (["amount"], "about 5", "amount_format"),
    (["amount"], "1,23", "amount_format"),
    (["gender"], "未知", "gender_value"),
    (["halfwidth", "trim", "gender"], "unknown", "gender_value"),
])
def test_failures_name_step_and_reason(steps, raw, reason):
    with pytest.raises(NormalizeError) as caught:
        normalize(steps, raw)
    assert caught.value.reason == reason
    assert caught.value.step == steps[-1]


def test_empty_stays_none():
    assert normalize(["date"], None) is None
    assert normalize(["date"], "") is None
    assert normalize(["trim", "date"], "   ") is None  # emptied by a step: None, not an error
    assert normalize(["digits_only"], "N/A") is None
    assert normalize([], "x") == "x"


def test_unknown_step():
    with pytest.raises(ValueError, match="unknown normaliser step"):
        normalize(["sparkle"], "x")
