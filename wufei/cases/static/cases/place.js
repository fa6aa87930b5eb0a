// The phone inspection form: show the rows of failed items, and pick the place of the
// findings by tapping the county on the map or from the device's position.
(function () {
  "use strict";

  document.querySelectorAll("[data-result]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var box = radio.closest(".check-item");
      box.classList.toggle("failed", radio.checked && radio.value === "fail");
    });
  });

  var lonInput = document.querySelector("[data-lon]");
  var latInput = document.querySelector("[data-lat]");
  var statusEl = document.querySelector("[data-place-status]");
  var el = document.getElementById("place-map");
  var chart = null;

  function set(lon, lat) {
    lonInput.value = lon.toFixed(6);
    latInput.value = lat.toFixed(6);
    if (chart) {
      chart.setOption({ series: [{ data: [[lon, lat]] }] });
    }
  }

  var locate = document.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (pos) { set(pos.coords.longitude, pos.coords.latitude); statusEl.textContent = ""; },
        function () { statusEl.textContent = el.dataset.labelFailed; },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  } else if (locate) {
    locate.hidden = true;
  }

  if (!el || !window.echarts) {
    return;
  }
  fetch(el.dataset.boundariesUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geojson) {
      var county = geojson.features.filter(function (f) {
        return f.properties.adcode === el.dataset.county;
      });
      echarts.registerMap("case-county", { type: "FeatureCollection", features: county.length ? county : geojson.features });
      chart = echarts.init(el);
      var start = lonInput.value && latInput.value ? [[+lonInput.value, +latInput.value]] : [];
      chart.setOption({
        geo: { map: "case-county", roam: true, itemStyle: { areaColor: "#f7f9fc", borderColor: "#7f9cc2" } },
        series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 14, itemStyle: { color: "#d62728" }, data: start }]
      });
      chart.getZr().on("click", function (event) {
        var point = chart.convertFromPixel("geo", [event.offsetX, event.offsetY]);
        if (point) { set(point[0], point[1]); }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
})();
