/* digigov console behaviour. No inline script anywhere: the CSP forbids it, so all of it lives here. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // An htmx error (4xx/5xx is not swapped by htmx 2) is shown instead of silently ignored.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var message = xhr.status + " " + xhr.statusText;
    try { message = JSON.parse(xhr.responseText).message || message; } catch (e) { /* an HTML page */ }
    window.alert(message);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var progress = document.getElementById("progress");

    // Forms marked data-once submit once: the button is disabled and the progress line shown.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        if (progress) { progress.classList.add("busy"); }
      });
    });

    // Any ordinary form post shows the progress line until the next page arrives.
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () { if (progress) { progress.classList.add("busy"); } });
    });

    // Copy buttons: data-copy="#selector".
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (target && navigator.clipboard) {
          navigator.clipboard.writeText(target.textContent.trim()).then(function () {
            button.textContent = "✓";
          });
        }
      });
    });

    // Buttons with data-busy-text say what is happening once their form is sent (e.g. 入库中…).
    document.querySelectorAll("button[data-busy-text]").forEach(function (button) {
      var form = button.form;
      if (!form) { return; }
      form.addEventListener("submit", function () {
        button.textContent = button.getAttribute("data-busy-text");
        button.disabled = true;
      });
    });

    initUpload(progress);
    initLineage();

    // A refusal needs a comment: ask for it before the post, rather than after.
    document.querySelectorAll("form.decide button[value=refuse]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var input = button.form.querySelector("input[name=comment]");
        if (input && !input.value.trim()) {
          event.preventDefault();
          input.required = true;
          input.reportValidity();
        }
      });
    });
  });
})();

// Coming back through the browser's history restores the page as it was: clear the busy state.
window.addEventListener("pageshow", function () {
  var progress = document.getElementById("progress");
  if (progress) { progress.classList.remove("busy"); }
  document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (b) { b.disabled = false; });
});

// The upload form (归集数据): send the file with XHR so a <progress> shows the bytes going up, then
// "解析中…" while the server reads it; then go to the load page. Without script the form posts normally.
function initUpload(progress) {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form) { return; }
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var errorBox = document.getElementById("upload-error");
  var submit = form.querySelector("button[type=submit]");

  function syncMode() {
    var checked = form.querySelector("input[name=mode]:checked");
    var mode = checked ? checked.value : "existing";
    form.querySelectorAll("[data-mode]").forEach(function (el) {
      var on = el.getAttribute("data-mode") === mode;
      el.classList.toggle("mode-off", !on);
      el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
      if (el.tagName === "SELECT") { el.disabled = !on; }
    });
    var code = form.querySelector("input[name=code]");
    var name = form.querySelector("input[name=name]");
    if (code) { code.required = mode === "new"; }
    if (name) { name.required = mode === "new"; }
  }
  form.querySelectorAll("input[name=mode]").forEach(function (radio) { radio.addEventListener("change", syncMode); });
  syncMode();

  function fail(message) {
    if (errorBox) { errorBox.textContent = message; errorBox.hidden = false; }
    if (status) { status.textContent = status.getAttribute("data-failed") || ""; }
    if (bar) { bar.value = 0; }
    if (submit) { submit.disabled = false; }
    if (progress) { progress.classList.remove("busy"); }
  }

  form.addEventListener("submit", function (event) {
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (errorBox) { errorBox.hidden = true; }
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfTokenOf());
    if (box) { box.hidden = false; }
    if (bar) { bar.max = 100; bar.value = 0; }
    if (status) { status.textContent = status.getAttribute("data-sending") || ""; }
    if (submit) { submit.disabled = true; }
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable && bar) {
        bar.value = Math.round(e.loaded * 100 / e.total);
        if (status) { status.textContent = (status.getAttribute("data-sending") || "") + " " + bar.value + "%"; }
      }
    };
    xhr.upload.onload = function () {
      // every byte is up: the server is reading the file now (indeterminate bar)
      if (bar) { bar.removeAttribute("value"); }
      if (status) { status.textContent = status.getAttribute("data-parsing") || ""; }
      if (progress) { progress.classList.add("busy"); }
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.location) {
        window.location.assign(body.location);
        return;
      }
      fail((body && body.message) || (xhr.status + " " + xhr.statusText));
    };
    xhr.onerror = function () { fail(status ? status.getAttribute("data-failed") : "error"); };
    xhr.send(data);
  });
}

function csrfTokenOf() {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

// A dataset's lineage (数据血缘) as an ECharts graph, from the JSON twin named by data-lineage-url.
function initLineage() {
  "use strict";
  var el = document.getElementById("lineage-graph");
  if (!el || !window.echarts) { return; }
  var english = document.documentElement.lang === "en";
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  fetch(el.getAttribute("data-lineage-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (graph) {
      if (!graph || !graph.nodes || !graph.edges || !graph.edges.length) { return; }  // the list says "none"
      el.classList.add("ready");
      var colours = { L1: "#1a7f37", L2: "#0a7ea4", L3: "#b25e00", L4: "#c62828" };
      var names = {};
      graph.nodes.forEach(function (n) { names[n.code] = (english && n.name_en) ? n.name_en : n.name; });
      var seen = {};
      var links = [];
      graph.edges.forEach(function (e) {
        var key = e.source + ">" + e.target;
        if (!seen[key]) {
          seen[key] = { source: e.source, target: e.target, columns: [] };
          links.push(seen[key]);
        }
        if (e.source_column) { seen[key].columns.push(e.source_column + " → " + e.target_column); }
      });
      // layers left to right: upstream datasets before the focus, downstream after it
      var focus = el.getAttribute("data-focus");
      var depth = {};
      depth[focus] = 0;
      for (var round = 0; round < graph.nodes.length; round++) {
        links.forEach(function (l) {
          if (depth[l.source] !== undefined && depth[l.target] === undefined) { depth[l.target] = depth[l.source] + 1; }
          if (depth[l.target] !== undefined && depth[l.source] === undefined) { depth[l.source] = depth[l.target] - 1; }
        });
      }
      var perLayer = {};
      graph.nodes.forEach(function (n) {
        var d = depth[n.code] || 0;
        perLayer[d] = (perLayer[d] || 0) + 1;
        n.layer_index = perLayer[d] - 1;
      });
      var chart = window.echarts.init(el);
      chart.setOption({
        tooltip: {
          formatter: function (p) {
            if (p.dataType === "edge") {
              return p.data.columns.map(esc).join("<br>") || esc(names[p.data.source] + " → " + names[p.data.target]);
            }
            return esc(p.data.label_text) + "<br>" + esc(p.data.owner) + " · " + esc(p.data.grade);
          }
        },
        series: [{
          type: "graph",
          layout: "none",
          left: 110, right: 110, top: 40, bottom: 40,
          roam: true,
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 9,
          label: { show: true, position: "bottom", fontSize: 12 },
          lineStyle: { color: "#9aa5b1", width: 1.5, curveness: 0.1 },
          // two invisible anchors give the box a height, so one row of datasets is not stretched
          data: [{ id: "_top", name: "_top", x: 0, y: -90, symbolSize: 0, label: { show: false }, silent: true, tooltip: { show: false } },
                 { id: "_bottom", name: "_bottom", x: 0, y: 90, symbolSize: 0, label: { show: false }, silent: true, tooltip: { show: false } }
          ].concat(graph.nodes.map(function (n) {
            return {
              id: n.code, name: n.code, label_text: names[n.code], owner: n.owner, grade: n.grade,
              x: (depth[n.code] || 0) * 240, y: n.layer_index * 90 - (perLayer[depth[n.code] || 0] - 1) * 45,
              symbolSize: n.focus ? 44 : 32,
              label: { formatter: names[n.code] },
              itemStyle: { color: colours[n.grade] || "#0b3d91", borderColor: n.focus ? "#082c6c" : "#fff", borderWidth: n.focus ? 3 : 1 }
            };
          })),
          links: links
        }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
      chart.on("click", function (p) {
        if (p.dataType === "node" && p.data.id.charAt(0) !== "_" && !p.data.id.match(/[^a-z0-9_]/) &&
            p.data.id !== el.getAttribute("data-focus")) {
          window.location.assign("/datasets/" + p.data.id);
        }
      });
    })
    .catch(function () { /* the plain list of edges below stays */ });
}
