"""The quarterly analysis report (季度分析报告): the same charts (reportlab drawings) as inline SVG in the printable
HTML page and as vector graphics in the PDF. Chinese text in the PDF uses the Adobe CID font STSong-Light, which
every PDF reader supplies, so no font file is shipped or downloaded."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from digigov.apps.party_governance.seven_problem_lists.analysis import Analysis, labels

FONT = "STSong-Light"
BLUE, RED, YELLOW, GREEN = "#1a4fa0", "#c0392b", "#d4a017", "#2e8b57"


@cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, colour: str = BLUE, width: int = 460,
              height: int = 220) -> Any:
    """A horizontal bar chart drawing (reportlab) of (label, value) pairs."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    font = _font()
    items = list(items) or [("—", 0)]
    d = Drawing(width, height)
    d.add(String(0, height - 14, title, fontName=font, fontSize=11))
    chart = HorizontalBarChart()
    chart.x, chart.y = 120, 16
    chart.width, chart.height = width - 150, height - 44
    chart.data = [[v for _l, v in reversed(items)]]
    chart.categoryAxis.categoryNames = [label[:10] for label, _v in reversed(items)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    top = max((v for _l, v in items), default=0)
    chart.valueAxis.valueStep = max(1, -(-int(top) // 5))  # whole counts on the axis
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor(colour)
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 7
    chart.barLabels.dx = 8
    d.add(chart)
    return d


def charts(a: Analysis) -> list[Any]:
    names = labels()
    return [
        bar_chart("按清单分类的问题数", [(names["list"].get(k, k), v) for k, v in a.by_list.most_common()]),
        bar_chart("按根源分类的问题数", [(names["root_cause"].get(k, k), v) for k, v in a.by_root_cause.most_common()],
                  colour=YELLOW),
        bar_chart("按地区的问题数", a.by_region.most_common(10), colour=GREEN),
        bar_chart("按责任部门的已办结整改任务", a.by_department.most_common(10)),
        bar_chart("红黄绿", [("红", a.by_colour.get("red", 0)), ("黄", a.by_colour.get("yellow", 0)),
                            ("绿", a.by_colour.get("green", 0))], colour=RED, height=140),
    ]


_STYLE = re.compile(r'style="([^"]*)"')


def _attributes(match: re.Match[str]) -> str:
    """`style="fill: red; font-size: 8px"` as presentation attributes (`fill="red" font-size="8px"`): the pages'
    Content-Security-Policy allows no inline style, and SVG's own attributes are not style."""
    out = []
    for declaration in match[1].split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name or not value:
            continue
        if name == "font-family":
            value = f"{value}, 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif".replace('"', "'")
        out.append(f'{name}="{value}"')
    return " ".join(out)


def svg(drawing: Any) -> str:
    """The drawing as inline SVG for an HTML page: no XML prolog, no inline style."""
    from reportlab.graphics import renderSVG

    text = renderSVG.drawToString(drawing)
    return _STYLE.sub(_attributes, text[text.index("<svg"):])


def summary_lines(a: Analysis) -> list[tuple[str, str]]:
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x * 100:.1f}%"

    return [
        ("统计期", f"{a.period}（{a.start} 至 {a.end}）" if a.start else "全部"),
        ("问题总数", str(a.problems)),
        ("已办结（含验收、评价、回头看）", str(a.closed)),
        ("整改中", str(a.open)),
        ("整改任务按期完成率", pct(a.on_time_rate)),
        ("平均办结天数", "—" if a.average_days is None else f"{a.average_days} 天"),
        ("回头看反弹率", pct(a.recurrence_rate)),
    ]


def findings(a: Analysis) -> list[str]:
    """Plain-language findings the report states (from the figures, not canned text)."""
    names = labels()
    out = []
    if a.by_root_cause:
        cause, n = a.by_root_cause.most_common(1)[0]
        share = n * 100 // max(a.problems, 1)
        out.append(f"问题根源以“{names['root_cause'].get(cause, cause)}”最多（{n} 个，占 {share}%），"
                   "应从制度和机制上加以预防（由治到防）。")
    if a.by_list:
        lst, n = a.by_list.most_common(1)[0]
        out.append(f"“{names['list'].get(lst, lst)}”问题最多（{n} 个）。")
    if a.by_colour.get("red"):
        out.append(f"{a.by_colour['red']} 个问题亮红灯（整改逾期或高风险），需持续督办。")
    if a.recurred:
        out.append(f"回头看发现 {a.recurred} 个问题反弹，已重新进入整改。")
    if a.on_time_rate is not None and a.on_time_rate < 0.8:
        out.append("整改任务按期完成率低于 80%，建议对逾期部门开展约谈。")
    return out


def pdf(a: Analysis, title: str) -> bytes:
    """The report as a PDF (A4): title, summary table, findings, charts."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=8)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, author="digigov", leftMargin=48, rightMargin=48)
    table = Table(summary_lines(a), colWidths=[180, 300])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 10),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f8"))]))
    story: list[Any] = [Paragraph(title, h1), table, Spacer(1, 10)]
    story += [Paragraph(f"{i}. {line}", body) for i, line in enumerate(findings(a), start=1)]
    story.append(Spacer(1, 10))
    for drawing in charts(a):
        story += [drawing, Spacer(1, 8)]
    doc.build(story)
    return buf.getvalue()
