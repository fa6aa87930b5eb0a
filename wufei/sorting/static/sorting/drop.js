/* The guide's drop page: read the household's QR code from a photo taken with the camera,
   using the browser's BarcodeDetector where there is one; elsewhere the code is typed. */
(function () {
  "use strict";
  var CODE = /(XC\d{10}|[HC]\d{10})/i;

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var button = document.querySelector("[data-scan]");
    var input = document.querySelector("[data-code]");
    var status = document.querySelector("[data-scan-status]");
    if (!button || !input || !status) return;
    if (!("BarcodeDetector" in window) || !window.createImageBitmap) {
      status.textContent = status.getAttribute("data-label-manual");
      return;
    }
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      status.textContent = status.getAttribute("data-label-manual");
      return;
    }
    button.hidden = false;
    var file = button.querySelector("input[type=file]");
    file.addEventListener("change", function () {
      var picked = file.files && file.files[0];
      if (!picked) return;
      status.textContent = "…";
      window.createImageBitmap(picked)
        .then(function (bitmap) { return detector.detect(bitmap); })
        .then(function (codes) {
          var text = codes.length ? codes[0].rawValue || "" : "";
          var match = text.match(CODE);
          if (!match) {
            status.textContent = status.getAttribute("data-label-none");
            return;
          }
          input.value = match[1].toUpperCase();
          status.textContent = "✓ " + input.value;
          var first = document.querySelector(".class-buttons input");
          if (first) first.focus();
        })
        .catch(function () { status.textContent = status.getAttribute("data-label-fail"); })
        .then(function () { file.value = ""; });
    });
  });
})();
