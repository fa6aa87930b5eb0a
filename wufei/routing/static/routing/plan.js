// A plan's routes drawn over the county's real boundary (the GeoJSON the one map uses, fetched
// from its cached endpoint and filtered to the plan's county), and each route's load over the
// day. Data comes from the page's json_script "plan-chart"; if the boundary cannot be loaded
// the routes are still drawn, on plain longitude / latitude axes.
(function () {
  "use strict";
  var source = document.getElementById("plan-chart");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var map = document.getElementById("plan-map");
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function stopsOf(r) {
    return r.path.slice(1, -1).map(function (p) { return { value: p }; });
  }

  function drawOnGeo(chart, mapName) {
    chart.setOption({
      tooltip: { trigger: "item" },
      legend: { type: "scroll", top: 0 },
      geo: {
        map: mapName,
        roam: true,
        top: 32,
        bottom: 8,
        itemStyle: { areaColor: "#eef3f9", borderColor: "#7a8ca3" },
        emphasis: { disabled: true },
        label: { show: false }
      },
      series: data.routes.reduce(function (all, r, k) {
        var color = COLORS[k % COLORS.length];
        all.push({
          name: r.name, type: "lines", coordinateSystem: "geo", polyline: true,
          lineStyle: { color: color, width: 2, opacity: 0.9 }, data: [{ coords: r.path }]
        });
        all.push({
          name: r.name, type: "scatter", coordinateSystem: "geo", symbolSize: 6,
          itemStyle: { color: color }, data: stopsOf(r)
        });
        return all;
      }, [])
    });
    map.dataset.boundary = "true";
    map.dataset.loaded = "true";
  }

  function drawOnAxes(chart) {
    var lons = [], lats = [];
    data.routes.forEach(function (r) {
      r.path.forEach(function (p) { lons.push(p[0]); lats.push(p[1]); });
    });
    chart.setOption({
      tooltip: { trigger: "item" },
      legend: { type: "scroll", top: 0 },
      xAxis: { type: "value", scale: true, min: Math.min.apply(null, lons), max: Math.max.apply(null, lons) },
      yAxis: { type: "value", scale: true, min: Math.min.apply(null, lats), max: Math.max.apply(null, lats) },
      series: data.routes.map(function (r) {
        return { name: r.name, type: "line", data: r.path, symbolSize: 6 };
      })
    });
    map.dataset.boundary = "false";
    map.dataset.loaded = "true";
  }

  if (map) {
    var chart = echarts.init(map);
    fetch(data.boundariesUrl, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      })
      .then(function (geojson) {
        var county = geojson.features.filter(function (f) {
          return f.properties.adcode === data.county;
        });
        if (!county.length) { throw new Error("no boundary for " + data.county); }
        var name = "wufei-plan-" + data.county;
        echarts.registerMap(name, { type: "FeatureCollection", features: county });
        drawOnGeo(chart, name);
      })
      .catch(function (error) {
        if (window.console) { console.warn(error); }
        drawOnAxes(chart);
      });
  }

  var load = document.getElementById("plan-load");
  if (load) {
    echarts.init(load).setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      xAxis: { type: "value", axisLabel: { formatter: function (s) {
        var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
        return h + ":" + (m < 10 ? "0" : "") + m;
      } } },
      yAxis: { type: "value", name: "kg" },
      series: data.profiles.map(function (r) {
        return { name: r.name, type: "line", step: "end", data: r.points, symbol: "none" };
      })
    });
  }
})();
