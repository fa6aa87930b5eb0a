// The one map (一张图): real boundaries of the city and its six counties, and every facility
// and site the user may see, one ECharts scatter series (large mode) per kind. No tile server.
(function () {
  "use strict";

  var el = document.getElementById("map");
  if (!el || !window.echarts) {
    return;
  }
  var d = el.dataset;
  var statusEl = document.querySelector("[data-map-status]");
  var countySelect = document.querySelector("[data-map-county]");
  var chart = echarts.init(el, null, { renderer: "canvas" });
  var MAP = "xuchang";
  var CITY_LEVEL = "city";
  var FACILITY_COLORS = [
    "#d62728", "#9467bd", "#ff7f0e", "#17becf", "#2ca02c", "#e377c2", "#8c564b",
    "#1f77b4", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b"
  ];
  var SITE_COLORS = [
    "#6baed6", "#fdae6b", "#74c476", "#ff9896", "#9e9ac8", "#c49c94", "#f7b6d2",
    "#a3a3a3", "#dbdb8d", "#9edae5", "#aec7e8", "#fd8d3c", "#98df8a", "#c5b0d5",
    "#969696", "#ffbb78", "#a1d99b", "#bcbddc", "#e7ba52", "#cedb9c", "#e7969c"
  ];
  var state = { features: [], layers: [], parties: [], cityBox: null };

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function setStatus(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function bbox(geometry) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(coords) {
      if (typeof coords[0] === "number") {
        box[0] = Math.min(box[0], coords[0]);
        box[1] = Math.min(box[1], coords[1]);
        box[2] = Math.max(box[2], coords[0]);
        box[3] = Math.max(box[3], coords[1]);
        return;
      }
      coords.forEach(walk);
    })(geometry.coordinates);
    return box;
  }

  function regionStyles(selected) {
    return state.features.map(function (f) {
      var p = f.properties;
      if (p.level === CITY_LEVEL) {
        return {
          name: p.name,
          silent: true,
          itemStyle: { areaColor: "rgba(0,0,0,0)", borderColor: "#0f3c78", borderWidth: 2.5 },
          label: { show: false }
        };
      }
      var on = selected && p.adcode === selected;
      return {
        name: p.name,
        itemStyle: { areaColor: on ? "#dbe8f7" : "#f7f9fc", borderColor: "#7f9cc2", borderWidth: on ? 1.8 : 1 },
        label: { show: true, color: on ? "#0f3c78" : "#44586e", fontWeight: on ? "bold" : "normal" }
      };
    });
  }

  function seriesOf(layers) {
    var used = {};
    return layers.map(function (layer) {
      var isFacility = layer.group === "facility";
      var name = layer.label;
      if (used[name]) {
        name = name + "（" + (isFacility ? d.labelFacility : d.labelSite) + "）";
      }
      used[name] = true;
      layer.seriesName = name;
      var data = [];
      for (var i = 0; i < layer.coords.length; i += 2) {
        data.push([layer.coords[i], layer.coords[i + 1]]);
      }
      return {
        type: "scatter",
        name: name,
        coordinateSystem: "geo",
        large: true,
        largeThreshold: 500,
        symbol: isFacility ? "diamond" : "circle",
        symbolSize: isFacility ? 11 : 6,
        itemStyle: {
          color: isFacility
            ? FACILITY_COLORS[layer.index % FACILITY_COLORS.length]
            : SITE_COLORS[layer.index % SITE_COLORS.length],
          borderColor: isFacility ? "#ffffff" : null,
          borderWidth: isFacility ? 1 : 0,
          opacity: isFacility ? 0.95 : 0.8
        },
        z: isFacility ? 4 : 3,
        data: data
      };
    });
  }

  function tooltip(params) {
    if (params.componentType !== "series") {
      return escapeHtml(params.name);
    }
    var layer = state.layers[params.seriesIndex];
    var i = params.dataIndex;
    var rows = [
      "<strong>" + escapeHtml(layer.names[i]) + "</strong>",
      escapeHtml(d.labelKind) + "：" + escapeHtml(layer.label),
      escapeHtml(d.labelParty) + "：" + escapeHtml(state.parties[layer.parties[i]])
    ];
    if (layer.capacity && layer.capacity[i] != null) {
      rows.push(escapeHtml(d.labelCapacity) + "：" + layer.capacity[i] + " t/d");
    }
    return rows.join("<br>");
  }

  function view(adcode) {
    var feature = null;
    state.features.forEach(function (f) {
      if (adcode && f.properties.adcode === adcode) {
        feature = f;
      }
    });
    if (!feature || !state.cityBox) {
      return { center: null, zoom: 1 };
    }
    var box = bbox(feature.geometry);
    var city = state.cityBox;
    var zoom = Math.min((city[2] - city[0]) / (box[2] - box[0]), (city[3] - city[1]) / (box[3] - box[1]));
    return { center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: Math.max(1, zoom * 0.6) };
  }

  function legendLayout() {
    var narrow = el.clientWidth < 700;
    return narrow
      ? { type: "scroll", orient: "horizontal", left: 8, right: 8, bottom: 4 }
      : { type: "scroll", orient: "vertical", right: 8, top: 12, bottom: 12, width: 190 };
  }

  function render(adcode) {
    var v = view(adcode);
    var narrow = el.clientWidth < 700;
    var series = seriesOf(state.layers);
    chart.setOption(
      {
        backgroundColor: "#eef3f9",
        tooltip: { trigger: "item", confine: true, formatter: tooltip },
        legend: Object.assign(legendLayout(), {
          data: state.layers.map(function (l) { return l.seriesName; }),
          textStyle: { fontSize: 12, color: "#33475b" },
          pageIconSize: 10
        }),
        geo: {
          map: MAP,
          roam: true,
          selectedMode: false,
          preserveAspect: "contain",
          left: narrow ? 8 : 24,
          right: narrow ? 8 : 220,
          top: 16,
          bottom: narrow ? 48 : 16,
          center: v.center,
          zoom: v.zoom,
          label: { show: true, fontSize: 12 },
          emphasis: { itemStyle: { areaColor: "#e6eef8" }, label: { show: true } },
          regions: regionStyles(adcode)
        },
        series: series
      },
      { replaceMerge: ["series", "geo"] }
    );
    applyLayerToggles();
  }

  function applyLayerToggles() {
    document.querySelectorAll("[data-map-layer]").forEach(function (box) {
      state.layers.forEach(function (layer) {
        if (layer.group === box.dataset.mapLayer) {
          chart.dispatchAction({ type: box.checked ? "legendSelect" : "legendUnSelect", name: layer.seriesName });
        }
      });
    });
  }

  function markLoaded() {
    var geoModel = chart.getModel().getComponent("geo", 0);
    var regions = geoModel && geoModel.coordinateSystem ? geoModel.coordinateSystem.regions : [];
    var points = 0;
    var facilities = 0;
    var sites = 0;
    chart.getModel().getSeries().forEach(function (series, index) {
      var n = series.getData().count();
      points += n;
      if (state.layers[index] && state.layers[index].group === "facility") {
        facilities += n;
      } else {
        sites += n;
      }
    });
    document.querySelectorAll("[data-map-layer]").forEach(function (box) {
      var present = state.layers.some(function (l) { return l.group === box.dataset.mapLayer; });
      box.parentNode.hidden = !present;
    });
    el.dataset.boundaries = String(regions.length);
    el.dataset.points = String(points);
    el.dataset.facilities = String(facilities);
    el.dataset.sites = String(sites);
    el.dataset.loaded = "true";
    setStatus(d.labelLoaded.replace("%(f)s", facilities).replace("%(s)s", sites));
  }

  function loadPoints(adcode) {
    el.dataset.loaded = "false";
    var url = d.pointsUrl + (adcode ? "?region=" + encodeURIComponent(adcode) : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      })
      .then(function (payload) {
        state.layers = payload.layers;
        state.parties = payload.parties;
        chart.off("finished");
        chart.on("finished", function onFinished() {
          chart.off("finished", onFinished);
          markLoaded();
        });
        render(adcode);
      });
  }

  function failed(error) {
    el.dataset.loaded = "error";
    setStatus(d.labelFailed);
    if (window.console) { console.error(error); }
  }

  fetch(d.boundariesUrl, { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    })
    .then(function (geojson) {
      state.features = geojson.features;
      state.features.forEach(function (f) {
        if (f.properties.level === CITY_LEVEL) {
          state.cityBox = bbox(f.geometry);
        }
      });
      echarts.registerMap(MAP, geojson);
      return loadPoints(d.region || (countySelect ? countySelect.value : ""));
    })
    .catch(failed);

  chart.on("click", function (params) {
    if (params.componentType !== "series") {
      return;
    }
    var layer = state.layers[params.seriesIndex];
    var template = layer.group === "facility" ? d.facilityUrl : d.siteUrl;
    window.location.href = template.replace(/\/0\/$/, "/" + layer.ids[params.dataIndex] + "/");
  });

  if (countySelect) {
    countySelect.addEventListener("change", function () {
      loadPoints(countySelect.value).catch(failed);
    });
  }
  document.querySelectorAll("[data-map-layer]").forEach(function (box) {
    box.addEventListener("change", applyLayerToggles);
  });
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();
