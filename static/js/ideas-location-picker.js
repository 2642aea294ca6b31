/* Location picker of the idea form (Leaflet). No inline script: settings come from data-*.
 *
 *   <div data-location-picker data-lat-input="id_latitude" data-lon-input="id_longitude"
 *        data-tile-url=".." data-attribution=".." data-center="lat,lon"
 *        data-bounds="south,west,north,east" data-label=".." data-pin-label="..">
 *     <div data-location-picker-map hidden></div>
 *     <div data-location-picker-actions hidden>
 *       <button data-location-picker-centre> <button data-location-picker-clear>
 *     </div>
 *     <p data-location-picker-status></p>
 *   </div>
 *
 * The two number inputs are the form's real fields and stay usable without JavaScript or a
 * mouse; the map only fills them (click, drag the pin, or pan with the arrow keys and press
 * "place the pin in the middle"), and follows what is typed in them.
 */
(function () {
  "use strict";

  if (typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  var PLACES = 100000; // five decimals, as stored

  function numbers(value) {
    return (value || "").split(",").map(function (part) {
      return parseFloat(part);
    });
  }

  function allNumbers(values, count) {
    return values.length === count && values.every(function (value) {
      return !isNaN(value);
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
    return (Math.round(value * PLACES) / PLACES).toFixed(5);
  }

  function init(root) {
    var latInput = document.getElementById(root.dataset.latInput);
    var lonInput = document.getElementById(root.dataset.lonInput);
    var element = root.querySelector("[data-location-picker-map]");
    var actions = root.querySelector("[data-location-picker-actions]");
    var status = root.querySelector("[data-location-picker-status]");
    var centreButton = root.querySelector("[data-location-picker-centre]");
    var clearButton = root.querySelector("[data-location-picker-clear]");
    if (!latInput || !lonInput || !element) {
      return;
    }
    element.hidden = false;
    if (actions) {
      actions.hidden = false;
    }
    if (!element.offsetHeight) {
      element.style.height = "16rem"; // without ideas.css; the CSSOM is allowed by the CSP
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
      element.classList.add("idea-map--plain");
    }

    var bounds = numbers(root.dataset.bounds);
    var area = allNumbers(bounds, 4)
      ? L.latLngBounds([bounds[0], bounds[1]], [bounds[2], bounds[3]])
      : null;
    var marker = null;

    function say(text) {
      if (status) {
        status.textContent = text || "";
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
          var latlng = marker.getLatLng();
          if (area && !area.contains(latlng)) {
            say(root.dataset.outsideText || "");
            putBack();
            return;
          }
          fill(latlng);
        });
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) {
        map.panTo(latlng);
      }
    }

    function fill(latlng) {
      latInput.value = rounded(latlng.lat);
      lonInput.value = rounded(latlng.lng);
      say((root.dataset.placedText || "") + " " + latInput.value + ", " + lonInput.value);
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function putBack() {
      // The pin goes back to what the inputs hold (or away, when they are empty).
      var lat = readInput(latInput);
      var lon = readInput(lonInput);
      if (lat !== null && lon !== null) {
        marker.setLatLng([lat, lon]);
      } else {
        map.removeLayer(marker);
        marker = null;
      }
    }

    function clear() {
      latInput.value = "";
      lonInput.value = "";
      if (marker !== null) {
        map.removeLayer(marker);
        marker = null;
      }
      say(root.dataset.clearedText || "");
    }

    function fromInputs() {
      var lat = readInput(latInput);
      var lon = readInput(lonInput);
      if (lat === null || lon === null) {
        return;
      }
      place(L.latLng(lat, lon), true);
    }

    var start = L.latLng(readInput(latInput) || 0, readInput(lonInput) || 0);
    if (readInput(latInput) !== null && readInput(lonInput) !== null) {
      map.setView(start, 16);
      place(start, false);
    } else if (area) {
      map.fitBounds(area);
    } else {
      var centre = numbers(root.dataset.center);
      map.setView(allNumbers(centre, 2) ? centre : [0, 0], 13);
    }

    function choose(latlng) {
      if (area && !area.contains(latlng)) {
        say(root.dataset.outsideText || "");
        return;
      }
      place(latlng, false);
      fill(latlng);
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
    if (clearButton) {
      clearButton.addEventListener("click", clear);
    }
  }

  document.querySelectorAll("[data-location-picker]").forEach(init);
})();
