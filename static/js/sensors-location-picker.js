/* Home location picker of the sensor pages (Leaflet), with the project area drawn.
 * No inline script: settings come from data-* attributes and a json_script element.
 *
 *   <script id="project-area" type="application/json">{GeoJSON Polygon/MultiPolygon}</script>
 *   <div data-sensors-location-picker data-lat-input="id_latitude" data-lon-input="id_longitude"
 *        data-area-id="project-area" data-bounds="south,west,north,east"
 *        data-tile-url=".." data-attribution=".." data-label=".." data-pin-label=".."
 *        data-placed-text=".." data-outside-text="..">
 *     <div data-location-picker-map hidden></div>
 *     <div data-location-picker-actions hidden><button data-location-picker-centre></div>
 *     <p data-location-picker-status></p>
 *   </div>
 *
 * The two inputs are the form's real fields and stay usable without JavaScript or a mouse; the
 * map only fills them (click, drag the pin, or pan with the arrow keys and press "place the pin
 * in the middle"), and follows what is typed. A point outside the area is refused here at once;
 * the server checks it again (sensors/areas.py).
 */
(function () {
  "use strict";

  if (typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  var PLACES = 1000000; // six decimals, as stored

  function numbers(value) {
    return (value || "").split(",").map(function (part) {
      return parseFloat(part);
    });
  }

  function readInput(input) {
    var text = (input.value || "").trim().replace(",", ".");
    if (text === "") {
      return null;
    }
    var value = Number(text);
    return isFinite(value) ? value : null;
  }

  function rounded(value) {
    return (Math.round(value * PLACES) / PLACES).toFixed(6);
  }

  function readArea(id) {
    var element = id ? document.getElementById(id) : null;
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  // Ray casting on [lon, lat] rings, holes respected (the same rule as sensors/areas.py).
  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function inArea(area, latlng) {
    if (!area || !area.coordinates) {
      return true;
    }
    var polygons = area.type === "MultiPolygon" ? area.coordinates : [area.coordinates];
    return polygons.some(function (rings) {
      if (!rings.length || !inRing(rings[0], latlng.lng, latlng.lat)) {
        return false;
      }
      return !rings.slice(1).some(function (hole) {
        return inRing(hole, latlng.lng, latlng.lat);
      });
    });
  }

  function init(root) {
    var latInput = document.getElementById(root.dataset.latInput);
    var lonInput = document.getElementById(root.dataset.lonInput);
    var element = root.querySelector("[data-location-picker-map]");
    var actions = root.querySelector("[data-location-picker-actions]");
    var status = root.querySelector("[data-location-picker-status]");
    var centreButton = root.querySelector("[data-location-picker-centre]");
    if (!latInput || !lonInput || !element) {
      return;
    }
    element.hidden = false;
    if (actions) {
      actions.hidden = false;
    }
    if (!element.offsetHeight) {
      element.style.height = "20rem"; // without sensors-pages.css; the CSSOM is allowed by the CSP
    }

    var map = L.map(element, { scrollWheelZoom: false });
    element.setAttribute("role", "region");
    if (root.dataset.label) {
      element.setAttribute("aria-label", root.dataset.label);
    }
    if (root.dataset.tileUrl) {
      L.tileLayer(root.dataset.tileUrl, {
        attribution: root.dataset.attribution || "",
        maxZoom: 19,
      }).addTo(map);
    } else {
      element.classList.add("sensor-map--plain");
    }

    var area = readArea(root.dataset.areaId);
    var areaLayer = null;
    if (area) {
      areaLayer = L.geoJSON(area, {
        interactive: false,
        style: { color: "#0b4f8a", weight: 3, fillOpacity: 0.08 },
      }).addTo(map);
    }
    var marker = null;

    function say(text) {
      if (status) {
        status.textContent = text || "";
      }
    }

    function fill(latlng) {
      latInput.value = rounded(latlng.lat);
      lonInput.value = rounded(latlng.lng);
      say((root.dataset.placedText || "") + " " + latInput.value + ", " + lonInput.value);
    }

    function putBack() {
      var lat = readInput(latInput);
      var lon = readInput(lonInput);
      if (lat !== null && lon !== null) {
        marker.setLatLng([lat, lon]);
      } else {
        map.removeLayer(marker);
        marker = null;
      }
    }

    function place(latlng, pan) {
      if (marker === null) {
        marker = L.marker(latlng, {
          draggable: true,
          keyboard: true,
          alt: root.dataset.pinLabel || "",
          title: root.dataset.pinLabel || "",
        }).addTo(map);
        marker.on("dragend", function () {
          var moved = marker.getLatLng();
          if (!inArea(area, moved)) {
            say(root.dataset.outsideText || "");
            putBack();
            return;
          }
          fill(moved);
        });
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) {
        map.panTo(latlng);
      }
    }

    function choose(latlng) {
      if (!inArea(area, latlng)) {
        say(root.dataset.outsideText || "");
        return;
      }
      place(latlng, false);
      fill(latlng);
    }

    function fromInputs() {
      var lat = readInput(latInput);
      var lon = readInput(lonInput);
      if (lat === null || lon === null) {
        return;
      }
      place(L.latLng(lat, lon), true);
    }

    var lat = readInput(latInput);
    var lon = readInput(lonInput);
    if (lat !== null && lon !== null) {
      map.setView([lat, lon], 16);
      place(L.latLng(lat, lon), false);
    } else if (areaLayer && areaLayer.getBounds().isValid()) {
      map.fitBounds(areaLayer.getBounds(), { padding: [12, 12] });
    } else {
      var box = numbers(root.dataset.bounds);
      if (box.length === 4 && box.every(function (v) { return !isNaN(v); })) {
        map.fitBounds([[box[0], box[1]], [box[2], box[3]]]);
      } else {
        map.setView([52.5168, 6.083], 13);
      }
    }

    map.on("click", function (event) {
      choose(event.latlng);
    });
    latInput.addEventListener("input", fromInputs);
    lonInput.addEventListener("input", fromInputs);
    if (centreButton) {
      centreButton.addEventListener("click", function () {
        choose(map.getCenter());
      });
    }
  }

  document.querySelectorAll("[data-sensors-location-picker]").forEach(init);
})();
