// Draws the report's plots from the JSON in #report-data with the inlined Vega-Lite and Vega.
// Every plot div ends with data-rendered="true|empty|error" and data-marks = the number of SVG
// mark items drawn, so a headless browser test can check that each plot rendered with data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var xDomain = [data.start || 0, Math.max(data.end, (data.start || 0) + 1)];
  var xAxis = { field: "t", type: "quantitative", title: "time since the test began (s)", scale: { domain: xDomain, nice: false } };

  function faultLayer() {
    return {
      data: { values: data.faults },
      mark: { type: "rect", opacity: 0.16, clip: true },
      encoding: {
        x: { field: "start", type: "quantitative", scale: { domain: xDomain, nice: false } },
        x2: { field: "end" },
        color: { field: "kind", type: "nominal", scale: { scheme: "set2" }, legend: { title: "fault" } },
        tooltip: [{ field: "kind" }, { field: "start", title: "from (s)" }, { field: "end", title: "to (s)" }, { field: "detail" }]
      }
    };
  }

  function layered(main) {
    var layers = data.faults.length ? [faultLayer(), main] : [main];
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 980, height: 210, layer: layers,
      resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
      config: { font: "system-ui, sans-serif", legend: { orient: "right" } }
    };
  }

  function latency(points, domain, range) {
    return layered({
      data: { values: points },
      mark: { type: "point", filled: true, size: 14, opacity: 0.65, clip: true },
      encoding: {
        x: xAxis,
        y: { field: "ms", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
        color: { field: "series", type: "nominal", title: "outcome",
          scale: { domain: domain, range: range } },
        tooltip: [{ field: "t", title: "sent at (s)" }, { field: "ms", title: "latency (ms)" }, { field: "series" }]
      }
    });
  }

  function throughput(rows) {
    return layered({
      data: { values: rows },
      mark: { type: "line", point: false, strokeWidth: 1.5, interpolate: "step-after", clip: true },
      encoding: {
        x: xAxis,
        y: { field: "rate", type: "quantitative", title: "sends completed / s" },
        color: { field: "type", type: "nominal", title: "send result",
          scale: { domain: ["ok", "info", "fail"], range: ["#2ca02c", "#ff7f0e", "#d62728"] } },
        tooltip: [{ field: "t", title: "time (s)" }, { field: "type" }, { field: "rate", title: "per s" }]
      }
    });
  }

  function metric(m) {
    var max = 0;
    m.points.forEach(function (p) { if (p.v !== null) max = Math.max(max, p.v); });
    var y = { field: "v", type: "quantitative", title: m.unit, scale: max > 0 ? { zero: true } : { domain: [0, 1] } };
    return layered({
      data: { values: m.points },
      mark: { type: "line", point: { size: 10 }, strokeWidth: 1.5, clip: true },
      encoding: {
        x: xAxis,
        y: y,
        color: { field: "node", type: "nominal", title: "node", scale: { scheme: "tableau10" } },
        tooltip: [{ field: "t", title: "time (s)" }, { field: "node" }, { field: "v", title: m.unit }]
      }
    });
  }

  function specFor(name) {
    if (name === "accept") return [data.accept, latency(data.accept, ["ok", "info", "fail"], ["#1f77b4", "#ff7f0e", "#d62728"])];
    if (name === "delivery") return [data.delivery, latency(data.delivery, ["first receive", "extra receive"], ["#1f77b4", "#d62728"])];
    if (name === "throughput") return [data.throughput, throughput(data.throughput)];
    var m = data.metrics[name];
    return m ? [m.points, metric(m)] : [[], null];
  }

  var plots = document.querySelectorAll("[data-plot]");
  Array.prototype.forEach.call(plots, function (el) {
    var s = specFor(el.getAttribute("data-plot"));
    el.setAttribute("data-points", String(s[0].length));
    if (!s[0].length) {
      el.innerHTML = '<div class="empty">no data for this plot in this run</div>';
      el.setAttribute("data-rendered", "empty");
      el.setAttribute("data-marks", "0");
      return;
    }
    try {
      var compiled = vegaLite.compile(s[1]).spec;
      var view = new vega.View(vega.parse(compiled), { renderer: "svg", container: el, hover: true });
      view.runAsync().then(function () {
        var marks = el.querySelectorAll("g.mark-symbol path, g.mark-line path, g.mark-rect path").length;
        el.setAttribute("data-marks", String(marks));
        el.setAttribute("data-rendered", "true");
      }, function (e) { fail(el, e); });
    } catch (e) { fail(el, e); }
  });

  function fail(el, e) {
    el.setAttribute("data-rendered", "error");
    el.setAttribute("data-error", String(e && e.message || e));
    el.textContent = "plot failed: " + (e && e.message || e);
  }
})();
