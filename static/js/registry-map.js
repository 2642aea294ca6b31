/* The map of pilots (Leaflet). No inline script: everything comes from data-* attributes.
 *
 *   <div data-registry-map data-url="...kaart.geojson?filters" ...>
 *
 * data-url: a GeoJSON FeatureCollection of points (registry/maps.py); each feature's
 * properties: title, url, status (a value, used for the marker's class), status_label, theme,
 * neighbourhood, withdrawn.
 * data-sensor-url (optional): a second layer, the sensor projects' areas (the sensors app's
 * projects GeoJSON: polygons with properties name, url, active_kits, pilot_url), drawn as
 * dashed purple outlines under the markers; popup labels data-label-sensor-layer,
 * data-label-sensor-kits, data-label-sensor-pilot. If it cannot be loaded the pilots still show.
 * data-tile-url (empty: no tile layer, markers on a plain background), data-attribution,
 * data-center ("lat,lon", used when there are no points), data-label (accessible name).
 * Popup labels: data-label-status, data-label-theme, data-label-neighbourhood,
 * data-label-withdrawn; data-label-error (shown when the data cannot be loaded).
 *
 * Markers are coloured (and shaped) by status with CSS classes (static/css/registry-map.css);
 * the legend next to the map says in text what each one means, and every marker has the title
 * and status as its accessible name. Text from people is only ever set with textContent.
 */
(function () {
  "use strict";

  if (typeof window.L === "undefined") {
    return;
  }
  var L = window.L;

  function numbers(value) {
    return (value || "").split(",").map(function (part) {
      return parseFloat(part);
    });
  }

  function textElement(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = text;
    return node;
  }

  function baseMap(element) {
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
      element.classList.add("pilot-map--plain");
    }
    var center = numbers(element.dataset.center);
    map.setView([center[0] || 0, center[1] || 0], 12);
    return map;
  }

  function capitalise(text) {
    text = String(text || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function markerName(properties) {
    var name = properties.title || "";
    if (properties.status_label) {
      name += " (" + properties.status_label + ")";
    }
    return name;
  }

  function popupContent(element, properties) {
    var box = document.createElement("div");
    var link = textElement("a", "pilot-popup__title", properties.title || "");
    link.href = properties.url || "#";
    box.appendChild(link);
    if (properties.withdrawn && element.dataset.labelWithdrawn) {
      box.appendChild(textElement("p", "pilot-popup__meta", element.dataset.labelWithdrawn));
    }
    [
      [element.dataset.labelStatus, capitalise(properties.status_label)],
      [element.dataset.labelTheme, properties.theme],
      [element.dataset.labelNeighbourhood, properties.neighbourhood],
    ].forEach(function (line) {
      if (line[1]) {
        box.appendChild(textElement("p", "pilot-popup__meta", (line[0] || "") + ": " + line[1]));
      }
    });
    return box;
  }

  function statusClass(properties) {
    var status = String(properties.status || "").replace(/[^a-z_]/g, "");
    var name = "pilot-marker pilot-marker--" + (status || "unknown");
    if (properties.withdrawn) {
      name += " pilot-marker--withdrawn";
    }
    return name;
  }

  function showError(element) {
    var message = element.dataset.labelError;
    if (message && element.parentNode) {
      var note = textElement("p", "message message--error", message);
      note.setAttribute("role", "alert");
      element.parentNode.insertBefore(note, element.nextSibling);
    }
  }

  function pointLayer(element, data) {
    return L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var properties = feature.properties || {};
        var name = markerName(properties);
        var marker = L.marker(latlng, {
          icon: L.divIcon({
            className: statusClass(properties),
            iconSize: [20, 20],
            iconAnchor: [10, 10],
            popupAnchor: [0, -10],
          }),
          title: name,
        });
        marker.on("add", function () {
          var icon = marker.getElement();
          if (icon) {
            icon.setAttribute("aria-label", name);
          }
        });
        return marker;
      },
      onEachFeature: function (feature, marker) {
        marker.bindPopup(popupContent(element, feature.properties || {}));
      },
    });
  }

  function areaPopup(element, properties) {
    var box = document.createElement("div");
    if (element.dataset.labelSensorLayer) {
      box.appendChild(textElement("p", "pilot-popup__meta", element.dataset.labelSensorLayer));
    }
    var link = textElement("a", "pilot-popup__title", properties.name || "");
    link.href = properties.url || "#";
    box.appendChild(link);
    box.appendChild(textElement("p", "pilot-popup__meta",
      (element.dataset.labelSensorKits || "") + ": " + (properties.active_kits || 0)));
    if (properties.pilot_url && element.dataset.labelSensorPilot) {
      var pilot = document.createElement("p");
      pilot.className = "pilot-popup__meta";
      var pilotLink = textElement("a", "", element.dataset.labelSensorPilot);
      pilotLink.href = properties.pilot_url;
      pilot.appendChild(pilotLink);
      box.appendChild(pilot);
    }
    return box;
  }

  // The view fits everything loaded so far: the pilots and the sensor project areas.
  function fitTo(map, layer) {
    var bounds = layer.getBounds();
    if (!bounds.isValid()) {
      return;
    }
    map._registryBounds = map._registryBounds ? map._registryBounds.extend(bounds) : bounds;
    map.fitBounds(map._registryBounds, { padding: [32, 32], maxZoom: 15 });
  }

  function sensorLayer(element, map) {
    var url = element.dataset.sensorUrl;
    if (!url) {
      return;
    }
    fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("sensor projects: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function () {
            return {
              className: "sensor-area",
              color: "#6b2c91",
              weight: 3,
              dashArray: "8 6",
              fill: true,
              fillOpacity: 0.05,
            };
          },
          onEachFeature: function (feature, layer) {
            layer.bindPopup(areaPopup(element, feature.properties || {}));
          },
        }).addTo(map);
        layer.bringToBack();
        fitTo(map, layer);
      })
      .catch(function () {
        /* the pilots and the table of sensor projects still show */
      });
  }

  function collectionMap(element) {
    var map = baseMap(element);
    sensorLayer(element, map);
    fetch(element.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("map data: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        fitTo(map, pointLayer(element, data).addTo(map));
      })
      .catch(function () {
        showError(element);
      });
  }

  function init() {
    var maps = document.querySelectorAll("[data-registry-map]");
    Array.prototype.forEach.call(maps, collectionMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
