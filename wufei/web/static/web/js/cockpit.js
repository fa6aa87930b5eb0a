// The cockpit (驾驶舱): counties coloured by the chosen indicator (real boundaries, click a
// county for its own cockpit), and monthly generation per stream with the forecast dashed.
(function () {
  "use strict";

  var dataEl = document.getElementById("cockpit-data");
  if (!dataEl || !window.echarts) {
    return;
  }
  var data = JSON.parse(dataEl.textContent);

  function drawMap() {
    var el = document.getElementById("cockpit-map");
    if (!el) {
      return;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var map = data.map;
    fetch(el.dataset.boundariesUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (geo) {
        var features = geo.features.filter(function (f) {
          return f.properties.level !== "city";
        });
        echarts.registerMap("cockpit", { type: "FeatureCollection", features: features });
        var values = Object.keys(map.values).map(function (name) {
          return { name: name, value: map.values[name] };
        });
        var numbers = values.map(function (v) { return v.value; });
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              var v = p.value;
              return p.name + "<br>" + map.name + "：" +
                (v === undefined || isNaN(v) ? el.dataset.labelNone : v.toFixed(2) + " " + map.unit);
            }
          },
          visualMap: {
            min: numbers.length ? Math.min.apply(null, numbers) : 0,
            max: numbers.length ? Math.max.apply(null, numbers) : 1,
            calculable: true,
            inRange: { color: ["#e0f3db", "#43a2ca", "#0868ac"] },
            left: 8,
            bottom: 8
          },
          series: [{
            type: "map",
            map: "cockpit",
            nameProperty: "name",
            roam: false,
            label: { show: true, fontSize: 11 },
            data: values
          }]
        });
        chart.on("click", function (p) {
          var link = map.links[p.name];
          if (link) {
            window.location.href = link + "&indicator=" + encodeURIComponent(
              new URLSearchParams(window.location.search).get("indicator") || "");
          }
        });
      });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawTrend() {
    var el = document.getElementById("cockpit-trend");
    if (!el) {
      return;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var trend = data.trend;
    var series = [];
    trend.series.forEach(function (s) {
      var history = s.history.concat(new Array(trend.months.length - trend.split).fill(null));
      var forecast = new Array(trend.split - 1).fill(null)
        .concat([s.history[trend.split - 1]])
        .concat(s.forecast);
      series.push({ name: s.name, type: "line", showSymbol: false, data: history });
      series.push({
        name: s.name + " · " + el.dataset.labelForecast,
        type: "line",
        showSymbol: false,
        lineStyle: { type: "dashed" },
        data: forecast
      });
    });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: trend.months },
      yAxis: { type: "value" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  drawMap();
  drawTrend();
})();
