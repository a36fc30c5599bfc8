/* The region page's map: the region's outline and its children, coloured by level.
   Data from the page's map.geojson; base-map tiles only if the deployment configures them. */
(function () {
  "use strict";
  var el = document.getElementById("region-map");
  if (!el || !window.L) { return; }

  var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: true });
  map.attributionControl.setPrefix(false);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
  }

  var byCode = {};

  function childStyle(feature, highlighted) {
    var colour = feature.properties.colour;
    return {
      color: highlighted ? "#111" : colour,
      weight: highlighted ? 3 : 1.5,
      fillColor: colour,
      fillOpacity: highlighted ? 0.55 : 0.3,
      className: "gezhi-child"
    };
  }

  function draw(data) {
    function role(name) {
      return data.features.filter(function (f) { return f.properties.role === name; });
    }
    var own = role("self"), children = role("child"), siblings = role("sibling");
    // Neighbours (shown around a grid) are context: grey, below the region, still clickable.
    var siblingLayer = L.geoJSON(siblings, {
      style: function (f) {
        return { color: f.properties.colour, weight: 1, fillColor: f.properties.colour,
                 fillOpacity: 0.15, className: "gezhi-sibling" };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.name, { sticky: true });
        layer.on("click", function () { window.location.href = feature.properties.url; });
      }
    }).addTo(map);
    var ownLayer = L.geoJSON(own, {
      interactive: false,
      style: function (f) {
        return {
          color: f.properties.colour, weight: 3, fillColor: f.properties.colour,
          fillOpacity: children.length ? 0.04 : 0.25, className: "gezhi-self"
        };
      }
    }).addTo(map);
    var labels = children.length <= 20;
    var childLayer = L.geoJSON(children, {
      style: function (f) { return childStyle(f, false); },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        byCode[p.code] = layer;
        layer.bindTooltip(p.name, labels
          ? { permanent: true, direction: "center", className: "gezhi-label" }
          : { sticky: true });
        layer.on("mouseover", function () { layer.setStyle(childStyle(feature, true)); highlightRow(p.code, true); });
        layer.on("mouseout", function () { layer.setStyle(childStyle(feature, false)); highlightRow(p.code, false); });
        layer.on("click", function () { window.location.href = p.url; });
      }
    }).addTo(map);
    var bounds = ownLayer.getBounds();
    if (childLayer.getLayers().length) {
      bounds = bounds.isValid() ? bounds.extend(childLayer.getBounds()) : childLayer.getBounds();
    }
    if (siblingLayer.getLayers().length) {
      bounds = bounds.isValid() ? bounds.pad(0.3) : siblingLayer.getBounds();
    }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); }
    el.dataset.ready = "true";
  }

  function highlightRow(code, on) {
    var row = document.querySelector('#children tr[data-code="' + code + '"]');
    if (row) { row.classList.toggle("hover", on); }
  }

  // Rows of the children table light up their polygon (delegated: the table is re-rendered
  // when sorted or paged).
  document.addEventListener("mouseover", function (event) {
    var row = event.target.closest && event.target.closest("#children tr[data-code]");
    if (row && byCode[row.dataset.code]) {
      byCode[row.dataset.code].setStyle(childStyle(byCode[row.dataset.code].feature, true));
    }
  });
  document.addEventListener("mouseout", function (event) {
    var row = event.target.closest && event.target.closest("#children tr[data-code]");
    if (row && byCode[row.dataset.code]) {
      byCode[row.dataset.code].setStyle(childStyle(byCode[row.dataset.code].feature, false));
    }
  });

  fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(draw)
    .catch(function () {
      el.classList.add("map-error");
      el.textContent = el.dataset.error;
    });
})();
