// The register's map: city and county boundaries, one scatter series per rectification state,
// filtered like the list (the page's query string); a click opens the entry.
(function () {
  "use strict";

  var el = document.getElementById("dump-map");
  if (!el || !window.echarts) {
    return;
  }
  var COLORS = { found: "#d62728", rectifying: "#ff7f0e", rectified: "#1f77b4", closed: "#2ca02c" };
  var chart = echarts.init(el);
  var d = el.dataset;

  function load() {
    return fetch(d.pointsUrl + window.location.search, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (payload) {
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              return p.data && p.data.name ? p.data.name + "<br>" + p.data.kind + " · " + p.data.region : p.name;
            }
          },
          legend: { bottom: 4, data: payload.series.map(function (s) { return s.label; }) },
          geo: { map: "xuchang-cases", roam: true, label: { show: true, fontSize: 11 },
                 itemStyle: { areaColor: "#f7f9fc", borderColor: "#7f9cc2" } },
          series: payload.series.map(function (s) {
            return { type: "scatter", name: s.label, coordinateSystem: "geo", symbolSize: 9,
                     itemStyle: { color: COLORS[s.state] }, data: s.points };
          })
        }, { replaceMerge: ["series"] });
        chart.off("click");
        chart.on("click", function (p) {
          if (p.componentType === "series" && p.data && p.data.id) {
            window.location.href = payload.detail_url.replace(/\/0\/$/, "/" + p.data.id + "/");
          }
        });
        el.dataset.loaded = "true";
      });
  }

  fetch(d.boundariesUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geojson) { echarts.registerMap("xuchang-cases", geojson); return load(); })
    .catch(function () { el.dataset.loaded = "error"; el.textContent = d.labelFailed; });

  document.body.addEventListener("htmx:afterSettle", function () { load(); });
  window.addEventListener("resize", function () { chart.resize(); });
})();
