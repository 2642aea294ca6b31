/* Maps of ideas (Leaflet). No inline script: everything comes from data-* attributes.
 *
 *   <div data-ideas-map="collection" data-url="...geojson" ...>   the overview map
 *   <div data-ideas-map="point" data-lat=".." data-lon=".." ...>  one idea's location
 *
 * Shared attributes: data-tile-url (empty: no tile layer), data-attribution,
 * data-center ("lat,lon"), data-bounds ("south,west,north,east"), data-label (accessible name).
 * Popup labels: data-label-theme, data-label-state, data-label-supports, data-label-error.
 * Text from people is only ever set with textContent, never as HTML.
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

  function validBounds(values) {
    return values.length === 4 && values.every(function (value) {
      return !isNaN(value);
    });
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
      element.classList.add("idea-map--plain");
    }
    return map;
  }

  function showArea(map, element) {
    var bounds = numbers(element.dataset.bounds);
    if (validBounds(bounds)) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
      return;
    }
    var center = numbers(element.dataset.center);
    map.setView([center[0] || 0, center[1] || 0], 13);
  }

  function textElement(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = text;
    return node;
  }

  function popupContent(element, properties) {
    var box = document.createElement("div");
    var link = textElement("a", "idea-popup__title", properties.title || "");
    link.href = properties.url || "#";
    box.appendChild(link);
    var lines = [
      [element.dataset.labelTheme, properties.theme],
      [element.dataset.labelState, properties.state],
      [element.dataset.labelSupports, String(properties.supports)],
    ];
    lines.forEach(function (line) {
      if (line[1]) {
        box.appendChild(textElement("p", "idea-popup__meta", (line[0] || "") + ": " + line[1]));
      }
    });
    return box;
  }

  function showError(element) {
    var message = element.dataset.labelError;
    if (message && element.parentNode) {
      var note = textElement("p", "message message--error", message);
      note.setAttribute("role", "alert");
      element.parentNode.insertBefore(note, element.nextSibling);
    }
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
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var title = (feature.properties && feature.properties.title) || "";
            return L.marker(latlng, { alt: title, title: title });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(popupContent(element, feature.properties || {}));
          },
        }).addTo(map);
        if (data.features && data.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
        }
      })
      .catch(function () {
        showError(element);
      });
  }

  function pointMap(element) {
    var lat = parseFloat(element.dataset.lat);
    var lon = parseFloat(element.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) {
      return;
    }
    var map = baseMap(element);
    map.setView([lat, lon], 16);
    L.marker([lat, lon], {
      alt: element.dataset.title || "",
      keyboard: false,
    }).addTo(map);
  }

  function init() {
    var maps = document.querySelectorAll("[data-ideas-map]");
    Array.prototype.forEach.call(maps, function (element) {
      if (element.dataset.ideasMap === "point") {
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
