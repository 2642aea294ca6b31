/* Small scripts of the sensor pages. No inline script: settings come from data-* attributes.
 *
 *   <div data-sensors-area-map data-area-id="project-area" data-bounds="s,w,n,e" ...>
 *       the project area (GeoJSON from a json_script element) on a small map
 *   <div data-sensors-kit-map data-lat data-lon data-public-lat data-public-lon ...>
 *       "is my sensor live?": the exact spot and the public 100 m grid point
 *   <form data-sensors-auto-refresh data-seconds="30"> with a checkbox
 *       reloads the page every 30 s while the box is ticked (off unless chosen: WCAG 2.2.2)
 *
 * Shared map attributes: data-tile-url (empty: no tile layer), data-attribution, data-label.
 * Every map has its content in text next to it.
 */
(function () {
  "use strict";

  function baseMap(element) {
    var L = window.L;
    element.textContent = "";
    var map = L.map(element, { scrollWheelZoom: false });
    element.setAttribute("role", "region");
    if (element.dataset.label) {
      element.setAttribute("aria-label", element.dataset.label);
    }
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, {
        attribution: element.dataset.attribution || "",
        maxZoom: 19,
      }).addTo(map);
    } else {
      element.classList.add("sensor-map--plain");
    }
    return map;
  }

  function areaMap(element) {
    var L = window.L;
    var source = document.getElementById(element.dataset.areaId || "");
    var area = null;
    try {
      area = source ? JSON.parse(source.textContent) : null;
    } catch (error) {
      area = null;
    }
    var map = baseMap(element);
    if (area) {
      var layer = L.geoJSON(area, {
        interactive: false,
        style: { color: "#0b4f8a", weight: 3, fillOpacity: 0.1 },
      }).addTo(map);
      if (layer.getBounds().isValid()) {
        map.fitBounds(layer.getBounds(), { padding: [12, 12] });
        return;
      }
    }
    var box = (element.dataset.bounds || "").split(",").map(parseFloat);
    if (box.length === 4 && box.every(function (v) { return !isNaN(v); })) {
      map.fitBounds([[box[0], box[1]], [box[2], box[3]]]);
    } else {
      map.setView([52.5168, 6.083], 12);
    }
  }

  function kitMap(element) {
    var L = window.L;
    var exact = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    var shown = [parseFloat(element.dataset.publicLat), parseFloat(element.dataset.publicLon)];
    if (isNaN(exact[0]) || isNaN(exact[1])) {
      return;
    }
    var map = baseMap(element);
    var exactLabel = element.dataset.exactLabel || "";
    L.marker(exact, { alt: exactLabel, title: exactLabel, keyboard: false }).addTo(map);
    var bounds = L.latLngBounds([exact]);
    if (!isNaN(shown[0]) && !isNaN(shown[1])) {
      var publicLabel = element.dataset.publicLabel || "";
      // The public point is the centre of a ~100 m square: draw the square around it.
      var half = 50;
      var dLat = half / 111320;
      var dLon = half / (111320 * Math.cos((shown[0] * Math.PI) / 180));
      L.rectangle([[shown[0] - dLat, shown[1] - dLon], [shown[0] + dLat, shown[1] + dLon]], {
        color: "#8a5a00", weight: 2, fillOpacity: 0.15, interactive: false,
      }).addTo(map);
      L.circleMarker(shown, { radius: 6, color: "#8a5a00", weight: 3 })
        .bindTooltip(publicLabel)
        .addTo(map);
      bounds.extend(shown);
    }
    map.fitBounds(bounds.pad(2), { maxZoom: 17 });
  }

  function autoRefresh(form) {
    var box = form.querySelector("[data-sensors-auto-refresh-toggle]");
    var label = form.querySelector("[data-sensors-auto-refresh-label]");
    if (!box) {
      return;
    }
    box.hidden = false;
    if (label) {
      label.hidden = false;
    }
    var seconds = parseInt(form.dataset.seconds || "30", 10) || 30;
    var timer = null;

    function url(on) {
      var target = new URL(window.location.href);
      if (on) {
        target.searchParams.set("auto", "1");
      } else {
        target.searchParams.delete("auto");
      }
      return target.toString();
    }

    function schedule() {
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
      if (box.checked) {
        timer = window.setTimeout(function () {
          window.location.replace(url(true));
        }, seconds * 1000);
      }
    }

    box.addEventListener("change", function () {
      window.history.replaceState(null, "", url(box.checked));
      schedule();
    });
    schedule();
  }

  document.querySelectorAll("[data-sensors-auto-refresh]").forEach(autoRefresh);
  if (typeof window.L === "undefined") {
    return;
  }
  document.querySelectorAll("[data-sensors-area-map]").forEach(areaMap);
  document.querySelectorAll("[data-sensors-kit-map]").forEach(kitMap);
})();
