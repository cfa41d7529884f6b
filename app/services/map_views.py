"""The three maps, built with folium: the public package map, the map of one RW or package, and
government's coverage choropleth. The maps hold no bulk data: large layers are filled by map.js from
GeoJSON endpoints, small ones (photos, nearby packages) are passed as escaped JSON."""
import json

import folium
from flask_babel import gettext as _

from app.domain import PACKAGE_STATUS_LABELS, SLUM_LEVEL_LABELS
from app.money import rupiah, rupiah_short
from app.services import coverage, map_data, maps, place_data

INDONESIA = (-2.5, 118.0, 5)
PHOTO_COLOUR = "#CC79A7"
RW_COLOUR = "#0b6e4f"


def public_map(assets, tiers, data_url, popup_url):
    """Clusters of packages, one layer per tier, plus a slum-severity layer (off at first), a layer control
    and a legend; map.js fills the layers from `data_url` and popups from `popup_url` ('{id}' placeholder)."""
    fmap = maps.new_map(*INDONESIA, assets)
    layers = {f"tier:{tier.code}": maps.cluster(_("Tier %(name)s", name=tier.name), assets).add_to(fmap)
              for tier in tiers}
    layers["severity"] = maps.cluster(_("Slum severity of the RW"), assets, show=False,
                                      icon_function="RukunMap.severityIcon").add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    maps.Call("packages", layers, url=data_url, popupUrl=popup_url,
              colours={key: colour for key, (colour, _label) in map_data.CATEGORIES.items()},
              severityColours=map_data.SEVERITY_COLOURS, unassessed=map_data.UNASSESSED_COLOUR,
              labels={"loading": _("Loading packages…"), "failed": _("The packages could not be loaded."),
                      "count": _("{n} packages on the map"), "open": _("Open the package page"),
                      "popupFailed": _("The details could not be loaded.")}).add_to(fmap)
    maps.legend(_("Legend"), [
        (_("Package (colour of the dot)"), [(colour, label) for colour, label in map_data.CATEGORIES.values()]),
        (_("Slum severity layer"), [*((map_data.SEVERITY_COLOURS[level], label)
                                      for level, label in SLUM_LEVEL_LABELS.items()),
                                    (map_data.UNASSESSED_COLOUR, _("Not assessed"))]),
    ]).add_to(fmap)
    return fmap


def place_map(assets, place, photo_urls, package_url, exclude_package_ids=(), exclude_rw_id=None):
    """One RW: its boundary where known, else its point; photos of its packages' verified reports
    (`photo_urls(id)` gives (thumbnail, full) URLs) and the nearest other packages (`package_url(id)`), each a
    layer; a legend in words."""
    photos = place_data.verified_photos(place.package_ids)
    nearby = place_data.nearby_packages(place.lat, place.lon, exclude_package_ids, exclude_rw_id)
    fmap = maps.new_map(place.lat, place.lon, 16, assets)
    if place.boundary_geojson:
        outline = folium.GeoJson(json.loads(place.boundary_geojson), name=_("RW boundary"), control=False,
                                 style_function=lambda _feature: {"color": RW_COLOUR, "weight": 3, "fillOpacity": 0.2})
    else:
        outline = folium.CircleMarker([place.lat, place.lon], radius=10, weight=3, color=RW_COLOUR, fill=True,
                                      fill_opacity=0.3)
    outline.add_to(fmap)
    maps.Call("label", {"layer": outline}, text=place.label).add_to(fmap)
    approximate = _("approximate location")  # outside the f-string, where the message extractor finds it
    entries = [(RW_COLOUR, _("This RW") + (f" ({approximate})" if place.approximate else ""))]
    points = _outline_points(place)
    if photos:
        layer = maps.group(_("Progress photos")).add_to(fmap)
        maps.Call("photos", {"layer": layer}, colour=PHOTO_COLOUR, labels={"photo": _("Progress photo")}, photos=[
            {"lat": p.lat, "lon": p.lon, "caption": p.caption, "thumb": photo_urls(p.id)[0],
             "full": photo_urls(p.id)[1]} for p in photos]).add_to(fmap)
        entries.append((PHOTO_COLOUR, _("Progress photo (verified report)")))
        points += [(p.lat, p.lon) for p in photos]
    if nearby:
        layer = maps.group(_("Nearby packages")).add_to(fmap)
        maps.Call("places", {"layer": layer}, places=[_nearby(n, package_url) for n in nearby]).add_to(fmap)
        entries += [(colour, _("Nearby package: %(status)s", status=label))
                    for key, (colour, label) in map_data.CATEGORIES.items()
                    if any(map_data.category_of(n.status, n.committed, n.estimate) == key for n in nearby)]
        points += [(n.lat, n.lon) for n in nearby]
    if photos or nearby:
        folium.LayerControl(collapsed=True).add_to(fmap)
        fmap.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                         [max(p[0] for p in points), max(p[1] for p in points)]], padding=(20, 20), max_zoom=17)
    maps.legend(_("Legend"), [(None, entries)], position="bottomleft").add_to(fmap)
    return fmap


def _outline_points(place):
    """Corners of the RW's boundary (or its point), so fitting the view keeps the whole RW in sight."""
    if not place.boundary_geojson:
        return [(place.lat, place.lon)]
    coordinates = []

    def walk(value):
        if isinstance(value, dict):
            for key in ("geometry", "coordinates", "features", "geometries"):
                if key in value:
                    walk(value[key])
        elif isinstance(value, list) and value and isinstance(value[0], (int, float)):
            coordinates.append((value[1], value[0]))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(place.boundary_geojson))
    return coordinates or [(place.lat, place.lon)]


def _nearby(package, package_url):
    colour, _label = map_data.CATEGORIES[map_data.category_of(package.status, package.committed, package.estimate)]
    return {"lat": package.lat, "lon": package.lon, "colour": colour, "title": package.title,
            "url": package_url(package.id), "place": f"RW {package.rw_number:02d} {package.kelurahan}",
            "rows": [[_("Status"), PACKAGE_STATUS_LABELS[package.status]], [_("Funded"), f"{package.funded_pct} %"],
                     [_("Estimate"), rupiah_short(package.estimate)]]}


def coverage_map(assets, data_url, measure):
    """Regions coloured by the measure (map.js loads `data_url`), with the legend's bins in words."""
    fmap = maps.new_map(*INDONESIA, assets)
    layer = maps.group(str(coverage.MEASURES[measure])).add_to(fmap)
    maps.Call("coverage", {"layer": layer}, url=data_url,
              labels={"loading": _("Loading regions…"), "failed": _("The regions could not be loaded."),
                      "count": _("{n} regions on the map")}).add_to(fmap)
    maps.legend(coverage.MEASURES[measure], [(None, [
        (colour, f"{low}–{high - 1 if high < 100 else 100} %") for low, high, colour in coverage.bins()
    ] + [(coverage.NO_PROGRAMME_COLOUR, _("No RWs in the programme"))])],
        note=_("Regions without a boundary yet are circles sized by their RWs.")).add_to(fmap)
    return fmap


def package_popup(card, url):
    """What a package's popup says (a catalogue PackageCard): title, place, and its essentials in words."""
    rows = [[_("Tier"), card.tier_name], [_("Status"), PACKAGE_STATUS_LABELS[card.status]],
            [_("Estimate"), rupiah(card.estimate)], [_("Funded"), f"{card.funded_pct} %"]]
    if card.slum_level:
        rows.append([_("Slum severity"), f"{SLUM_LEVEL_LABELS[card.slum_level]} ({card.slum_score}/80)"])
    return {"id": card.id, "title": card.title, "url": url,
            "place": f"RW {card.rw_number:02d} {card.kelurahan}, {card.kecamatan}, {card.kota}",
            "rows": maps.json_safe(rows)}
