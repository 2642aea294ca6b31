/* Maps of the sensor networks (Leaflet + Leaflet.markercluster). No inline script: everything
 * comes from data-* attributes (strict CSP).
 *
 *   <div data-sensors-map="collection" data-url="...data.geojson?quantity=pm25" ...>
 *       every public sensor, coloured by the latest value (sensors/feeds.py `map_feed`)
 *   <div data-sensors-map="point" data-lat=".." data-lon=".." ...>
 *       one sensor's public point and the 100 m square it stands for
 *
 * Shared attributes: data-tile-url (empty: no tile layer, markers on a plain background),
 * data-attribution, data-center ("lat,lon"), data-bounds ("south,west,north,east"),
 * data-label (accessible name of the map). Collection only: data-unit, data-label-* (popup
 * texts; "%s" is replaced by a number), data-label-error.
 *
 * A marker shows the value as text and is coloured by the class of the quantity's scale (CSS
 * classes sensor-class--N in static/css/sensors.css); the legend on the page says what each
 * colour means. Clusters show how many sensors they hold and are coloured by their average.
 * Text from people (sensor names) is only ever set with textContent, never as HTML.
 */
(function () {
  "use strict";

  if (typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  // The public grid: 100 m cells (sensors/services.py public_location).
  var GRID_METRES = 100;

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

  function fill(template, value) {
    return String(template || "").replace("%s", value);
  }

  function language() {
    return document.documentElement.lang || "nl";
  }

  function formatNumber(value) {
    var digits = Math.abs(value) >= 100 ? 0 : 1;
    return new Intl.NumberFormat(language(), {
      maximumFractionDigits: digits,
      minimumFractionDigits: 0,
    }).format(value);
  }

  function formatTime(iso) {
    var moment = new Date(iso);
    if (isNaN(moment.getTime())) {
      return "";
    }
    return new Intl.DateTimeFormat(language(), {
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: "Europe/Amsterdam",
    }).format(moment);
  }

  function formatAge(element, minutes) {
    var data = element.dataset;
    if (minutes < 60) {
      return fill(data.labelMinutes, minutes);
    }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) {
      return hours === 1 ? data.labelHour : fill(data.labelHours, hours);
    }
    var days = Math.floor(hours / 24);
    return days === 1 ? data.labelDay : fill(data.labelDays, days);
  }

  function baseMap(element) {
    element.textContent = "";
    var map = L.map(element, { scrollWheelZoom: false, maxZoom: 19 });
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

  function showArea(map, element) {
    var bounds = numbers(element.dataset.bounds);
    if (bounds.length === 4 && bounds.every(function (v) { return !isNaN(v); })) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
      return;
    }
    var center = numbers(element.dataset.center);
    map.setView([center[0] || 0, center[1] || 0], 13);
  }

  function showError(element) {
    var message = element.dataset.labelError;
    if (message && element.parentNode) {
      var note = textElement("p", "message message--error", message);
      note.setAttribute("role", "alert");
      element.parentNode.insertBefore(note, element.nextSibling);
    }
  }

  // --- the collection map -------------------------------------------------------------------

  function classOf(value, classes) {
    if (value === null || value === undefined || !classes || !classes.length) {
      return null;
    }
    for (var i = 0; i < classes.length; i++) {
      if (classes[i].below === null || value < classes[i].below) {
        return classes[i];
      }
    }
    return classes[classes.length - 1];
  }

  // The visible marker: a span inside Leaflet's icon element. Its colour comes from the
  // quantity's scale through CSS custom properties set with the CSSOM (allowed by the CSP).
  function markerBody(text, options) {
    var body = textElement("span", "sensor-marker", text);
    if (options.band) {
      body.style.setProperty("--sensor-colour", options.band.colour);
      body.style.setProperty("--sensor-text", options.band.text);
    } else {
      body.classList.add(options.noValue ? "sensor-class--none" : "sensor-class--plain");
    }
    if (options.stale) {
      body.classList.add("sensor-marker--stale");
    }
    if (options.indoor) {
      body.classList.add("sensor-marker--indoor");
    }
    return body;
  }

  function markerName(element, properties, unit) {
    var name = properties.name || "";
    if (properties.value === null) {
      return name + ": " + (element.dataset.labelNoValue || "");
    }
    name += ": " + formatNumber(properties.value) + " " + unit;
    if (properties.age_minutes !== null) {
      name += ", " + formatAge(element, properties.age_minutes);
    }
    return name;
  }

  function popupContent(element, properties, unit, projects) {
    var data = element.dataset;
    var box = document.createElement("div");
    box.appendChild(textElement("p", "sensor-popup__title", properties.name || ""));
    if (properties.value === null) {
      box.appendChild(textElement("p", "sensor-popup__value", data.labelNoValue || ""));
    } else {
      box.appendChild(textElement("p", "sensor-popup__value",
        formatNumber(properties.value) + " " + unit));
      box.appendChild(textElement("p", "sensor-popup__meta",
        (data.labelMeasured || "") + ": " + formatTime(properties.time) + " (" +
        formatAge(element, properties.age_minutes) + ")"));
      if (properties.stale && data.labelStale) {
        box.appendChild(textElement("p", "sensor-popup__meta", data.labelStale));
      }
      if (!properties.plausible && data.labelImplausible) {
        box.appendChild(textElement("p", "sensor-popup__meta", data.labelImplausible));
      }
    }
    var projectName = projects[properties.project];
    if (projectName) {
      box.appendChild(textElement("p", "sensor-popup__meta",
        (data.labelProject || "") + ": " + projectName));
    }
    if (properties.sensor) {
      box.appendChild(textElement("p", "sensor-popup__meta",
        (data.labelSensor || "") + ": " + properties.sensor));
    }
    if (properties.indoor && data.labelIndoor) {
      box.appendChild(textElement("p", "sensor-popup__meta", data.labelIndoor));
    }
    var link = textElement("a", "sensor-popup__link", data.labelOpen || properties.name || "");
    link.href = properties.url || "#";
    box.appendChild(link);
    return box;
  }

  function labelIcon(marker, name) {
    marker.on("add", function () {
      var icon = marker.getElement();
      if (icon) {
        icon.setAttribute("aria-label", name);
      }
    });
  }

  function clusterIcon(element, classes, unit) {
    return function (cluster) {
      var children = cluster.getAllChildMarkers();
      var sum = 0;
      var counted = 0;
      children.forEach(function (child) {
        if (typeof child.options.sensorValue === "number") {
          sum += child.options.sensorValue;
          counted += 1;
        }
      });
      var average = counted ? sum / counted : null;
      var label = String(element.dataset.labelCluster || "%(count)s")
        .replace("%(count)s", String(children.length))
        .replace("%(value)s", average === null ? "–" : formatNumber(average) + " " + unit);
      var size = children.length < 10 ? 38 : children.length < 100 ? 44 : 52;
      var body = markerBody(String(children.length), {
        band: classOf(average, classes),
        noValue: average === null,
      });
      body.classList.add("sensor-cluster");
      var icon = L.divIcon({
        html: body,
        className: "sensor-marker-icon",
        iconSize: [size, size],
      });
      cluster.options.title = label;
      cluster.once("add", function () {
        var node = cluster.getElement();
        if (node) {
          node.setAttribute("aria-label", label);
          node.setAttribute("title", label);
        }
      });
      return icon;
    };
  }

  function collectionMap(element) {
    var map = baseMap(element);
    showArea(map, element);
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
        var unit = (data.quantity && data.quantity.unit) || element.dataset.unit || "";
        var classes = data.classes || [];
        var projects = data.projects || {};
        var group = typeof L.markerClusterGroup === "function"
          ? L.markerClusterGroup({
            chunkedLoading: true,
            maxClusterRadius: 50,
            spiderfyOnMaxZoom: true,
            showCoverageOnHover: false,
            iconCreateFunction: clusterIcon(element, classes, unit),
          })
          : L.featureGroup();
        var markers = (data.features || []).map(function (feature) {
          var properties = feature.properties || {};
          var coordinates = feature.geometry.coordinates;
          var name = markerName(element, properties, unit);
          var shown = properties.value !== null && properties.plausible;
          var band = shown && properties["class"] !== null
            ? classes[properties["class"]] || null : null;
          var body = markerBody(
            properties.value === null ? "–" : formatNumber(properties.value),
            { band: band, noValue: !shown, stale: properties.stale, indoor: properties.indoor }
          );
          var marker = L.marker([coordinates[1], coordinates[0]], {
            icon: L.divIcon({
              html: body,
              className: "sensor-marker-icon",
              iconSize: [36, 36],
              iconAnchor: [18, 18],
              popupAnchor: [0, -18],
            }),
            title: name,
            sensorValue: shown ? properties.value : null,
          });
          labelIcon(marker, name);
          marker.bindPopup(popupContent(element, properties, unit, projects));
          return marker;
        });
        if (group.addLayers) {
          group.addLayers(markers);
        } else {
          markers.forEach(function (marker) { group.addLayer(marker); });
        }
        group.addTo(map);
        if (markers.length) {
          map.fitBounds(group.getBounds(), { padding: [32, 32], maxZoom: 16 });
        }
      })
      .catch(function (error) {
        if (window.console) {
          window.console.error(error);
        }
        showError(element);
      });
  }

  // --- one sensor's square ------------------------------------------------------------------

  function pointMap(element) {
    var lat = parseFloat(element.dataset.lat);
    var lon = parseFloat(element.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) {
      return;
    }
    var map = baseMap(element);
    var half = GRID_METRES / 2;
    var dLat = half / 111320;
    var dLon = half / (111320 * Math.cos(lat * Math.PI / 180));
    var square = L.rectangle([[lat - dLat, lon - dLon], [lat + dLat, lon + dLon]], {
      className: "sensor-square",
      interactive: false,
    }).addTo(map);
    map.fitBounds(square.getBounds(), { padding: [48, 48], maxZoom: 16 });
    element.classList.add("sensor-map--point");
  }

  function init() {
    var maps = document.querySelectorAll("[data-sensors-map]");
    Array.prototype.forEach.call(maps, function (element) {
      if (element.dataset.sensorsMap === "point") {
        pointMap(element);
      } else {
        collectionMap(element);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
