/* 湖州 社会治理风险闭环管控 cockpit: the towns on the map of Huzhou's counties (ECharts geo + scatter), the monthly trend
   by severity with the closure rate and next month's forecast, and the safety-code distribution, drawn from the JSON
   block #srcl-data (the same dict as /srcl?format=json). A dot or a bar opens what is behind it. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function go(link) {
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") { window.location.href = link; }
  }

  var SEVERITY_COLOURS = { red: "#c62828", orange: "#e8710a", yellow: "#f2c200", blue: "#1f6feb" };
  var CODE_COLOURS = { green: "#2e9d5b", yellow: "#f2c200", orange: "#e8710a", red: "#c62828" };

  function name(obj, lang) { return lang === "en" && obj.name_en ? obj.name_en : obj.name; }

  function drawMap(data, text) {
    var el = document.getElementById("srcl-map");
    if (!el) { return; }
    fetch(data.geojson, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (geo) {
        var features = geo.features.filter(function (f) {
          return f.properties.city_code === "330500" && (!data.county || f.properties.code === data.county);
        });
        window.echarts.registerMap("huzhou", { type: "FeatureCollection", features: features });
        var points = data.towns.map(function (t) {
          return { name: name(t, text.lang), value: [t.lon, t.lat, t.raised, t.rate === null ? -1 : t.rate],
                   link: t.link, town: t };
        });
        var max = Math.max.apply(null, data.towns.map(function (t) { return t.raised; }).concat([1]));
        var chart = window.echarts.init(el);
        chart.setOption({
          tooltip: { trigger: "item", formatter: function (p) {
            if (!p.data || !p.data.town) { return p.name || ""; }
            var t = p.data.town;
            return name(t, text.lang) + "<br>" + text.raised + "：" + t.raised + "<br>" + text.rate + "：" +
              (t.rate === null ? "—" : t.rate + "%");
          } },
          visualMap: { type: "piecewise", dimension: 3, left: 8, bottom: 8, seriesIndex: 0,
                       pieces: [{ min: 90, color: "#2e9d5b", label: "≥90%" }, { min: 70, max: 90, color: "#f2c200", label: "70–90%" },
                                { min: 0, max: 70, color: "#c62828", label: "<70%" }, { max: -0.5, color: "#9aa5b1", label: "—" }] },
          geo: { map: "huzhou", roam: true, nameProperty: "code", top: 10, bottom: 10,
                 itemStyle: { areaColor: "#eef1f5", borderColor: "#9aa5b1" },
                 label: { show: true, fontSize: 11, color: "#52606d",
                          formatter: function (p) { var f = features.filter(function (x) { return x.properties.code === p.name; })[0];
                                                    return f ? name(f.properties, text.lang) : ""; } },
                 emphasis: { itemStyle: { areaColor: "#dbe7fb" } } },
          series: [{ type: "scatter", coordinateSystem: "geo", data: points,
                     symbolSize: function (v) { return 6 + 22 * Math.sqrt(v[2] / max); },
                     itemStyle: { borderColor: "#fff", borderWidth: 1, opacity: 0.9 } }]
        });
        chart.on("click", function (p) { if (p.data && p.data.link) { go(p.data.link); } });
        window.addEventListener("resize", function () { chart.resize(); });
        el.setAttribute("data-towns", String(points.length));
        el.setAttribute("data-rendered", "1");
      })
      .catch(function () { el.classList.add("empty"); el.textContent = text.no_map; });
  }

  function drawTrend(data, text) {
    var el = document.getElementById("srcl-trend");
    if (!el || !data.trend.periods.length) { return; }
    var tr = data.trend;
    var labels = tr.periods.slice();
    var hasForecast = tr.forecast !== null && tr.forecast !== undefined;
    if (hasForecast) { labels.push(text.forecast); }
    var series = ["red", "orange", "yellow", "blue"].map(function (s) {
      return { type: "bar", stack: "raised", name: text.severity[s], itemStyle: { color: SEVERITY_COLOURS[s] },
               data: tr.series[s].concat(hasForecast ? [null] : []) };
    });
    if (hasForecast) {
      series.push({ type: "bar", stack: "raised", name: text.forecast, itemStyle: { color: "#c9d1dc" },
                    data: tr.periods.map(function () { return null; }).concat([tr.forecast]) });
    }
    series.push({ type: "line", name: text.rate, yAxisIndex: 1, smooth: true, itemStyle: { color: "#0b3d91" },
                  data: tr.rate.concat(hasForecast ? [null] : []) });
    var chart = window.echarts.init(el);
    chart.setOption({
      grid: { left: 40, right: 44, top: 30, bottom: 28 }, legend: { top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: labels },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: series
    });
    chart.on("click", function (p) {
      var period = tr.periods[p.dataIndex];
      if (period) { go("/srcl/tasks?period=" + period + (data.county ? "&county=" + data.county : "")); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "1");
  }

  function drawSafety(data, text) {
    var el = document.getElementById("srcl-safety");
    if (!el) { return; }
    var counties = Object.keys(data.safety.by_county);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item" }, legend: { top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 16, top: 30, bottom: 24, width: "50%" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: counties.map(function (c) { return data.safety.by_county[c].name; }) },
      series: ["green", "yellow", "orange", "red"].map(function (c) {
        return { type: "bar", stack: "codes", name: text.code[c], itemStyle: { color: CODE_COLOURS[c] },
                 data: counties.map(function (k) { return data.safety.by_county[k][c] || 0; }) };
      }).concat([{ type: "pie", radius: ["22%", "38%"], center: ["82%", "55%"], label: { show: false },
                   data: ["green", "yellow", "orange", "red"].map(function (c) {
                     return { name: text.code[c], value: data.safety.total[c] || 0, itemStyle: { color: CODE_COLOURS[c] },
                              link: "/srcl/safety?colour=" + c };
                   }) }])
    });
    chart.on("click", function (p) { if (p.data && p.data.link) { go(p.data.link); } });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "1");
  }

  function init() {
    var data = readJson("srcl-data");
    var text = readJson("srcl-text") || {};
    var select = document.getElementById("srcl-county");
    if (select && select.form) { select.addEventListener("change", function () { select.form.submit(); }); }
    if (!data || !window.echarts) { return; }
    drawMap(data, text);
    drawTrend(data, text);
    drawSafety(data, text);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
