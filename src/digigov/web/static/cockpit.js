/* The cockpit (驾驶舱): draws the map and the trend charts of templates/cockpit.html with ECharts, from the
   JSON block #cockpit-data (the same dict the page's JSON twin returns). Every number links to what is
   behind it: clicking a county or a point of a trend opens its drill-down link. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function pick(obj, key, lang) {
    var en = obj[key + "_en"];
    return lang === "en" && en ? en : obj[key];
  }

  function format(value, unit) {
    if (value === null || value === undefined) { return null; }
    var text = unit === "%" ? value.toFixed(1)
      : (Math.round(value) === value ? value.toLocaleString("zh-CN") : value.toFixed(1));
    return text + (unit ? (unit === "%" ? "%" : " " + unit) : "");
  }

  function go(link) {
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") { window.location.href = link; }
  }

  var pending = 0;
  function started() { pending += 1; }
  function finished() {
    pending -= 1;
    if (pending <= 0) {
      var line = document.getElementById("cockpit-loading");
      if (line) { line.classList.add("done"); line.setAttribute("aria-busy", "false"); }
    }
  }

  function drawMap(data, text, lang) {
    var el = document.getElementById("cockpit-map");
    var caption = document.getElementById("cockpit-map-caption");
    var m = data.map;
    if (!el || !m) { return; }
    started();
    fetch(m.geojson, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (geo) {
        var features = geo.features.filter(function (f) {
          return !m.within || f.properties.city_code === m.within;
        });
        var mapName = "zj-" + m.level + "-" + (m.within || "330000");
        window.echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
        var names = {};
        features.forEach(function (f) { names[f.properties.code] = f.properties; });
        var rows = m.values.filter(function (v) { return names[v.code]; }).map(function (v) {
          return { name: v.code, value: v.value === null ? "-" : v.value, link: v.link, label: pick(v, "name", lang) };
        });
        var higher = m.better_when !== "lower";
        var chart = window.echarts.init(el);
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              var props = names[p.name] || {};
              var label = (p.data && p.data.label) || pick(props, "name", lang) || p.name;
              var shown = p.data && p.data.value !== "-" ? format(p.data.value, m.unit) : text.no_value;
              var note = pick(props, "note", lang);
              return label + "：" + shown + (note ? "<br><small>" + note + "</small>" : "");
            }
          },
          visualMap: {
            type: "continuous", min: m.min, max: Math.max(m.max, m.min + 1), left: 8, bottom: 8,
            calculable: false, itemHeight: 100, text: [format(Math.max(m.max, m.min + 1), m.unit), format(m.min, m.unit)],
            inRange: { color: higher ? ["#dbe7fb", "#0b3d91"] : ["#fff4d6", "#c62828"] }
          },
          series: [{
            type: "map", map: mapName, nameProperty: "code", roam: false, selectedMode: false,
            top: 12, bottom: 12, left: "center",
            label: { show: m.level === "city" || !!m.within, fontSize: 10, color: "#1f2933",
                     textBorderColor: "#ffffff", textBorderWidth: 2,
                     formatter: function (p) { var props = names[p.name]; return props ? pick(props, "name", lang) : ""; } },
            itemStyle: { areaColor: "#eef1f5", borderColor: "#ffffff", borderWidth: 0.6 },
            emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffb300" } },
            data: rows
          }]
        });
        chart.on("click", function (p) { if (p.data) { go(p.data.link); } });
        window.addEventListener("resize", function () { chart.resize(); });
        el.setAttribute("data-features", String(features.length));
        el.setAttribute("data-rendered", "1");
        if (caption) {
          var en = lang === "en";
          var unmapped = (geo.unmapped || []).map(function (u) { return pick(u, "name", lang); })
            .join(en ? ", " : "、");
          caption.textContent = text.caption.replace("{edition}", pick(geo, "edition", lang)) +
            (unmapped ? (en ? "; " : "；") + text.unmapped.replace("{names}", unmapped) : "");
        }
      })
      .catch(function () {
        el.classList.add("empty");
        el.textContent = text.no_map;
      })
      .then(finished);
  }

  function drawTrends(data, lang) {
    var nodes = document.querySelectorAll(".trend-chart[data-trend]");
    Array.prototype.forEach.call(nodes, function (el) {
      var tr = data.trends[Number(el.getAttribute("data-trend"))];
      if (!tr) { return; }
      var chart = window.echarts.init(el);
      var red = tr.thresholds && tr.thresholds.red;
      chart.setOption({
        grid: { left: 48, right: 16, top: 16, bottom: 28 },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return format(v, tr.unit) || "-"; } },
        xAxis: { type: "category", data: tr.points.map(function (p) { return p.label; }), boundaryGap: false },
        yAxis: { type: "value", min: 0, max: tr.unit === "%" ? 100 : null },
        series: [{
          type: "line", name: pick(tr, "name", lang), smooth: true, symbolSize: 7, connectNulls: false,
          areaStyle: { opacity: 0.08 }, lineStyle: { width: 2, color: "#1f6feb" }, itemStyle: { color: "#1f6feb" },
          data: tr.points.map(function (p) { return { value: p.value, link: p.link }; }),
          markLine: red === null || red === undefined ? undefined : {
            symbol: "none", silent: true, lineStyle: { color: "#c62828", type: "dashed" }, label: { show: false },
            data: [{ yAxis: red }]
          }
        }]
      });
      chart.on("click", function (p) { if (p.data) { go(p.data.link); } });
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-rendered", "1");
    });
  }

  function init() {
    var data = readJson("cockpit-data");
    if (!data) { return; }
    var text = readJson("cockpit-text") || {};
    var lang = data.lang || (document.documentElement.lang === "en" ? "en" : "zh");
    var select = document.getElementById("cockpit-region");
    if (select && select.form) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
    started();
    if (window.echarts) {
      drawMap(data, text, lang);
      drawTrends(data, lang);
    }
    finished();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
