// Rukun's map behaviour, called from the small scripts folium writes (app/services/maps.py).
// Data arrives as JSON; every label, popup and legend is built from DOM nodes and textContent, never
// from HTML strings, so names typed by users cannot become markup. No inline styles (the CSP forbids
// them): colours are set through the CSSOM or Leaflet's path options.
(function () {
  "use strict";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    const a = el("a", null, text);
    a.href = href;
    a.target = "_top"; // maps live in frames: open pages in the whole window
    return a;
  }

  // A small status line on the map (loading, count, failure), read out by screen readers.
  function status(map, text) {
    const control = L.control({ position: "bottomleft" });
    let box;
    control.onAdd = function () {
      box = el("div", "rukun-map-status leaflet-bar", text);
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      return box;
    };
    control.addTo(map);
    return function (message) { box.textContent = message; };
  }

  function rows(box, pairs) {
    const list = el("dl", "rukun-popup-rows");
    pairs.forEach(function (pair) {
      list.appendChild(el("dt", null, pair[0]));
      list.appendChild(el("dd", null, pair[1]));
    });
    box.appendChild(list);
  }

  // Popup details come per package from a small JSON endpoint when a marker is clicked; one popup is
  // shared (100,000 markers need no popup object each) and each answer is kept for the next click.
  function packagePopups(map, urlTemplate, labels) {
    const cache = {};
    const popup = L.popup({ maxWidth: Math.max(160, Math.min(260, map.getSize().x - 90)) });
    return function (event) {
      const id = event.layer.options.packageId;
      if (!id) return;
      const box = el("div", "rukun-popup", labels.loading);
      popup.setLatLng(event.layer.getLatLng()).setContent(box).openOn(map);
      const fill = function (data) {
        box.textContent = "";
        box.appendChild(el("strong", "d-block", "")).appendChild(link(data.url, data.title));
        box.appendChild(el("div", "rukun-popup-place", data.place));
        rows(box, data.rows);
        box.appendChild(link(data.url, labels.open));
        popup.update();
      };
      if (cache[id]) {
        fill(cache[id]);
        return;
      }
      fetch(urlTemplate.replace("{id}", id), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) { cache[id] = data; fill(data); })
        .catch(function () { box.textContent = labels.popupFailed; popup.update(); });
    };
  }

  const SEVERITY_RANK = { berat: 4, sedang: 3, ringan: 2, tidak_kumuh: 1 };

  window.RukunMap = {
    // Legend: sections of (colour swatch + words).
    legend: function (map, _layers, options) {
      const control = L.control({ position: options.position });
      control.onAdd = function () {
        // A disclosure, folded on narrow maps (phones) so the legend does not hide the map.
        const box = el("details", "rukun-legend leaflet-bar");
        box.open = map.getSize().x >= 500;
        box.appendChild(el("summary", null, options.title));
        options.sections.forEach(function (section) {
          if (section.heading) box.appendChild(el("div", "rukun-legend-heading", section.heading));
          const list = el("ul", "rukun-legend-list");
          section.entries.forEach(function (entry) {
            const item = el("li");
            const swatch = el("span", "rukun-swatch");
            swatch.style.backgroundColor = entry.colour;
            swatch.setAttribute("aria-hidden", "true");
            item.appendChild(swatch);
            item.appendChild(document.createTextNode(entry.label));
            list.appendChild(item);
          });
          box.appendChild(list);
        });
        if (options.note) box.appendChild(el("p", "rukun-legend-note", options.note));
        L.DomEvent.disableClickPropagation(box);
        return box;
      };
      control.addTo(map);
    },

    // The public map: fetch the GeoJSON once, put each package in its tier's cluster (coloured by
    // category), and fill the severity layer only when someone switches it on.
    packages: function (map, layers, options) {
      const say = status(map, options.labels.loading);
      const openPopup = packagePopups(map, options.popupUrl, options.labels);
      const tierLayers = {};
      Object.keys(layers).forEach(function (key) {
        if (key.indexOf("tier:") === 0) tierLayers[key.slice(5)] = layers[key];
      });
      const marker = function (feature, colour, extra) {
        const c = feature.geometry.coordinates;
        return L.circleMarker([c[1], c[0]], Object.assign({
          radius: 7, color: "#212529", weight: 1, fillColor: colour, fillOpacity: 0.9,
          packageId: feature.properties.id,
        }, extra));
      };
      Object.keys(layers).forEach(function (key) { layers[key].on("click", openPopup); });
      fetch(options.url, { headers: { Accept: "application/geo+json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          const features = data.features;
          const byTier = {};
          const bounds = L.latLngBounds([]);
          features.forEach(function (feature) {
            const p = feature.properties;
            const colour = options.colours[p.c] || "#666666";
            (byTier[p.t] = byTier[p.t] || []).push(marker(feature, colour));
            bounds.extend([feature.geometry.coordinates[1], feature.geometry.coordinates[0]]);
          });
          Object.keys(byTier).forEach(function (code) {
            if (tierLayers[code]) tierLayers[code].addLayers(byTier[code]);
          });
          const severity = layers.severity;
          let severityFilled = false;
          const fillSeverity = function () {
            if (severityFilled) return;
            severityFilled = true;
            severity.addLayers(features.map(function (feature) {
              const level = feature.properties.v;
              return marker(feature, options.severityColours[level] || options.unassessed, { severity: level });
            }));
          };
          if (severity) {
            if (map.hasLayer(severity)) fillSeverity();
            severity.on("add", fillSeverity);
          }
          if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
          say(options.labels.count.replace("{n}", features.length.toLocaleString()));
        })
        .catch(function () { say(options.labels.failed); });
    },

    // Cluster icon of the severity layer: the worst level among its RWs, with the count as text.
    severityIcon: function (cluster) {
      let worst = "none";
      let rank = 0;
      const children = cluster.getAllChildMarkers();
      for (let i = 0; i < children.length && rank < 4; i += 1) {
        const level = children[i].options.severity;
        if ((SEVERITY_RANK[level] || 0) > rank) { rank = SEVERITY_RANK[level]; worst = level; }
      }
      const count = el("span", null, cluster.getChildCount());
      const box = el("div");
      box.appendChild(count);
      return L.divIcon({ html: box, className: "marker-cluster rukun-severity-cluster rukun-severity-" + worst,
        iconSize: L.point(40, 40) });
    },

    // A tooltip naming the RW on its outline or point.
    label: function (map, layers, options) {
      layers.layer.bindTooltip(el("span", null, options.text), { sticky: true });
    },

    // Geotagged photos of verified progress reports: thumbnail and caption.
    photos: function (map, layers, options) {
      options.photos.forEach(function (photo) {
        const marker = L.circleMarker([photo.lat, photo.lon], {
          radius: 6, color: "#212529", weight: 2, fillColor: options.colour, fillOpacity: 1,
        });
        const box = el("figure", "rukun-photo mb-0");
        const img = el("img");
        img.alt = photo.caption || options.labels.photo;
        img.width = 200;
        box.appendChild(link(photo.full, "")).appendChild(img);
        box.appendChild(el("figcaption", null, photo.caption || options.labels.photo));
        marker.bindPopup(box, { maxWidth: 240 });
        // The thumbnail loads when the popup first opens, then the popup fits its size.
        marker.on("popupopen", function (event) {
          if (!img.src) {
            img.addEventListener("load", function () { event.popup.update(); }, { once: true });
            img.src = photo.thumb;
          }
        });
        marker.bindTooltip(el("span", null, photo.caption || options.labels.photo));
        marker.addTo(layers.layer);
      });
    },

    // A few nearby packages as small markers with a link each.
    places: function (map, layers, options) {
      options.places.forEach(function (place) {
        const marker = L.circleMarker([place.lat, place.lon], {
          radius: 5, color: "#212529", weight: 1, fillColor: place.colour, fillOpacity: 0.9,
        });
        const box = el("div", "rukun-popup");
        box.appendChild(el("strong", "d-block", "")).appendChild(link(place.url, place.title));
        box.appendChild(el("div", "rukun-popup-place", place.place));
        rows(box, place.rows);
        marker.bindPopup(box, { maxWidth: 260 });
        marker.bindTooltip(el("span", null, place.title));
        marker.addTo(layers.layer);
      });
    },

    // Government coverage: regions as polygons where a boundary is known, else circles sized by RWs.
    coverage: function (map, layers, options) {
      const say = status(map, options.labels.loading);
      fetch(options.url, { headers: { Accept: "application/geo+json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          const shapes = L.geoJSON(data, {
            style: function (feature) {
              return { color: "#343a40", weight: 1, fillColor: feature.properties.colour, fillOpacity: 0.75 };
            },
            pointToLayer: function (feature, latlng) {
              return L.circleMarker(latlng, { radius: feature.properties.radius });
            },
            onEachFeature: function (feature, layer) {
              const p = feature.properties;
              layer.bindTooltip(el("span", null, p.name + ": " + p.value_text), { sticky: true });
              const box = el("div", "rukun-popup");
              box.appendChild(el("strong", "d-block", "")).appendChild(link(p.url, p.name));
              rows(box, p.rows);
              layer.bindPopup(box, { maxWidth: 280 });
            },
          });
          shapes.addTo(layers.layer);
          if (shapes.getBounds().isValid()) map.fitBounds(shapes.getBounds(), { maxZoom: 12, padding: [10, 10] });
          say(options.labels.count.replace("{n}", data.features.length.toLocaleString()));
        })
        .catch(function () { say(options.labels.failed); });
    },
  };
}());
