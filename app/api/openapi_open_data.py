"""The OpenAPI description of the open-data reads: coverage per region, packages and RWs as GeoJSON."""
from app.api.openapi_common import (
    COUNT,
    ETAG_HEADERS,
    IF_NONE_MATCH,
    MONEY,
    NOT_MODIFIED,
    NULLABLE_INT,
    NULLABLE_STRING,
    PERCENT,
    REGION_CODE,
    SERVER_ERROR,
    invalid_parameters,
    json_content,
    query,
    ref,
)
from app.domain import SlumLevel
from app.services.open_data import DEFAULT_LEVEL
from app.services.region_coverage import LEVELS

GEOJSON = "application/geo+json"
FIGURES = {
    "rws": {**COUNT, "description": "RWs in the region."},
    "rws_in_programme": {**COUNT, "description": "RWs with a public, non-cancelled package."},
    "funded_rws": {**COUNT, "description": "RWs with a package funded, in progress or completed."},
    "completed_rws": {**COUNT, "description": "RWs with a completed package."},
    "severe_rws": {**COUNT, "description": "RWs whose latest slum level is berat (score 60–80)."},
    "severe_rws_unfunded": {**COUNT, "description": "Severe RWs with no funded package (none, or only open ones)."},
    "households_reached": {**COUNT, "description": "Households (KK) of funded RWs."},
    "need": {**MONEY, "description": "Sum of the counted packages' estimates, whole rupiah."},
    "committed": {**MONEY, "description": "Pledged and received, whole rupiah."},
    "received": MONEY,
    "spent": MONEY,
    "progress_pct": {**PERCENT, "description": "Cost-weighted mean of the packages' verified progress."},
    "shares": {"type": "object", "required": ["funded_rws_pct", "committed_pct"], "additionalProperties": False,
               "properties": {"funded_rws_pct": {**PERCENT, "description": "Funded RWs of the RWs in the programme."},
                              "committed_pct": {**PERCENT, "description": "Committed of the need."}}},
}
REGION_LEVELS = ["kabupaten_kota", "kecamatan", "kelurahan"]
POSITION = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3}
RING = {"type": "array", "items": POSITION, "minItems": 4}
POINT = {"type": "object", "required": ["type", "coordinates"],
         "properties": {"type": {"const": "Point"}, "coordinates": POSITION}}
POLYGON = {"type": "object", "required": ["type", "coordinates"],
           "properties": {"type": {"const": "Polygon"}, "coordinates": {"type": "array", "items": RING}}}
MULTI_POLYGON = {"type": "object", "required": ["type", "coordinates"], "properties": {
    "type": {"const": "MultiPolygon"}, "coordinates": {"type": "array", "items": {"type": "array", "items": RING}}}}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def _collection(feature):
    return {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"const": "FeatureCollection"},
                           "features": {"type": "array", "items": ref(feature)}}}


def _feature(geometry, properties):
    return {"type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {"type": {"const": "Feature"}, "id": {"type": "integer"}, "geometry": geometry,
                           "properties": {"type": "object", "required": list(properties), "additionalProperties": False,
                                          "properties": properties}}}


PACKAGE_PROPERTIES = {
    "id": {"type": "integer"}, "title": {"type": "string"}, "tier": {"type": "string"}, "status": {"type": "string"},
    "estimate": MONEY, "committed": MONEY, "received": MONEY, "spent": MONEY, "remaining": MONEY,
    "progress_pct": PERCENT, "funded_pct": PERCENT, "rw_id": {"type": "integer"}, "rw_number": {"type": "integer"},
    "rw_label": {"type": "string", "description": "How people name the RW: 'RW 07 Kalibaru'."},
    "kelurahan_code": {"type": "string"}, "kelurahan": {"type": "string"}, "kecamatan_code": {"type": "string"},
    "kota_code": {"type": "string"}, "slum_level": {"enum": [*(str(level) for level in SlumLevel), None]},
    "location_approximate": {"type": "boolean", "description": "The point is an estimate, not a survey."},
    "boundary": {"type": "boolean", "description": "The RW's polygon is known (see /rws.geojson)."},
    "url": {"type": "string", "description": "The package's public web page."},
    "api_url": {"type": "string", "description": "The package in this API."},
}
RW_PROPERTIES = {
    "id": {"type": "integer"}, "kota_code": {"type": "string"}, "kota": {"type": "string"},
    "kecamatan_code": {"type": "string"}, "kecamatan": {"type": "string"}, "kelurahan_code": {"type": "string"},
    "kelurahan": {"type": "string"}, "rw_number": {"type": "integer"}, "name": NULLABLE_STRING,
    "lat": {"type": "number"}, "lon": {"type": "number"},
    "location_approximate": {"type": "integer", "enum": [0, 1], "description": "1 when the centre is an estimate."},
    "households": COUNT, "population": COUNT, "area_ha": {"type": "number", "minimum": 0},
    "slum_score": NULLABLE_INT, "slum_level": {"enum": [*(str(level) for level in SlumLevel), None]},
    "latest_assessed_on": DATE_OR_NULL, "latest_total": NULLABLE_INT, "baseline_assessed_on": DATE_OR_NULL,
    "baseline_total": NULLABLE_INT, "packages": {**COUNT, "description": "Public packages of the RW."},
    "status": {"type": ["string", "null"], "description": "Status of its most advanced public package."},
}


def schemas():
    """Component schemas of the open-data reads, by name."""
    region = {"type": "object", "required": ["code", "name", "level", *FIGURES], "additionalProperties": False,
              "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                             "level": {"type": "string", "enum": REGION_LEVELS}, **FIGURES}}
    totals = {"type": "object", "required": list(FIGURES), "additionalProperties": False, "properties": FIGURES}
    coverage = {
        "type": "object", "required": ["data", "totals", "meta"], "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": ref("RegionCoverage")}, "totals": ref("CoverageTotals"),
            "meta": {"type": "object", "required": ["level", "filters", "regions"], "properties": {
                "level": {"type": "string", "enum": list(LEVELS)}, "regions": COUNT,
                "filters": {"type": "object", "additionalProperties": {"type": "string"}}}},
        },
    }
    return {
        "RegionCoverage": region, "CoverageTotals": totals, "CoverageList": coverage,
        "PackageFeature": _feature(POINT, PACKAGE_PROPERTIES),
        "PackageFeatureCollection": _collection("PackageFeature"),
        "RWFeature": _feature({"oneOf": [POINT, POLYGON, MULTI_POLYGON]}, RW_PROPERTIES),
        "RWFeatureCollection": _collection("RWFeature"),
    }


FIGURES_EXAMPLE = {
    "rws": 120, "rws_in_programme": 14, "funded_rws": 6, "completed_rws": 2, "severe_rws": 9,
    "severe_rws_unfunded": 5, "households_reached": 1830, "need": 4_350_000_000, "committed": 2_100_000_000,
    "received": 1_500_000_000, "spent": 640_000_000, "progress_pct": 21,
    "shares": {"funded_rws_pct": 42, "committed_pct": 48},
}
PACKAGE_FEATURE_EXAMPLE = {
    "type": "Feature", "id": 12, "geometry": {"type": "Point", "coordinates": [106.91234, -6.10567]},
    "properties": {
        "id": 12, "title": "Drainase dan sanitasi RW 07", "tier": "bersama", "status": "published",
        "estimate": 450_000_000, "committed": 120_000_000, "received": 50_000_000, "spent": 0,
        "remaining": 330_000_000, "progress_pct": 0, "funded_pct": 26, "rw_id": 301, "rw_number": 7,
        "rw_label": "RW 07 Kalibaru", "kelurahan_code": "31.72.04.1004", "kelurahan": "Kalibaru",
        "kecamatan_code": "31.72.04", "kota_code": "31.72", "slum_level": "berat", "location_approximate": False,
        "boundary": True, "url": "/packages/12", "api_url": "/api/v1/packages/12",
    },
}
RW_FEATURE_EXAMPLE = {
    "type": "Feature", "id": 301,
    "geometry": {"type": "Polygon", "coordinates": [[[106.911, -6.104], [106.914, -6.104], [106.914, -6.107],
                                                     [106.911, -6.107], [106.911, -6.104]]]},
    "properties": {
        "id": 301, "kota_code": "31.72", "kota": "Kota Administrasi Jakarta Utara", "kecamatan_code": "31.72.04",
        "kecamatan": "Cilincing", "kelurahan_code": "31.72.04.1004", "kelurahan": "Kalibaru", "rw_number": 7,
        "name": None, "lat": -6.10567, "lon": 106.91234, "location_approximate": 0, "households": 812,
        "population": 3105, "area_ha": 6.4, "slum_score": 64, "slum_level": "berat",
        "latest_assessed_on": "2024-03-12", "latest_total": 64, "baseline_assessed_on": "2021-05-03",
        "baseline_total": 71, "packages": 1, "status": "published",
    },
}
REGION_FILTERS = [
    query("kota", REGION_CODE, "Kemendagri code of a kabupaten/kota, e.g. 31.72 (Jakarta Utara)."),
    query("kecamatan", REGION_CODE, "Kemendagri code of a kecamatan, e.g. 31.72.04 (inside the kota, if both)."),
]


def paths(package_filters):
    """Path items of the open-data reads; `package_filters` are the catalogue's filter parameters."""
    return {
        "/coverage": {"get": {
            "operationId": "getCoverage",
            "summary": "Coverage per kota, kecamatan or kelurahan: RWs reached, severe RWs left, money, progress.",
            "description": "Public packages that are not cancelled count. Every region of the level with RWs has "
                           "a row; `kota`/`kecamatan` narrow the rows to a region. `totals` adds the rows up.",
            "parameters": [query("level", {"type": "string", "enum": list(LEVELS), "default": DEFAULT_LEVEL},
                                 "The regions of the rows."), *REGION_FILTERS, IF_NONE_MATCH],
            "responses": {
                "200": {"description": "One row per region, by code.", "headers": ETAG_HEADERS, **json_content(
                    ref("CoverageList"), {
                        "data": [{"code": "31.72.04", "name": "Cilincing", "level": "kecamatan", **FIGURES_EXAMPLE}],
                        "totals": FIGURES_EXAMPLE,
                        "meta": {"level": "kecamatan", "filters": {"kota": "31.72"}, "regions": 1}})},
                "304": NOT_MODIFIED,
                "422": invalid_parameters({"level": "Choose one of: kota, kecamatan, kelurahan."}),
                "500": SERVER_ERROR,
            },
        }},
        "/packages.geojson": {"get": {
            "operationId": "getPackagesGeoJSON",
            "summary": "Public packages matching the catalogue's filters, as GeoJSON points at their RW.",
            "description": "Every match, in id order (no paging). `boundary` says whether the RW's polygon is in "
                           "/rws.geojson. Send the ETag back as If-None-Match to get 304 when nothing changed.",
            "parameters": [*package_filters, IF_NONE_MATCH],
            "responses": {
                "200": {"description": "A FeatureCollection.", "headers": ETAG_HEADERS, **json_content(
                    ref("PackageFeatureCollection"), {"type": "FeatureCollection",
                                                      "features": [PACKAGE_FEATURE_EXAMPLE]}, GEOJSON)},
                "304": NOT_MODIFIED,
                "422": invalid_parameters({"status": "Choose one of: draft, published, funded, in_progress, "
                                                     "completed, cancelled."}),
                "500": SERVER_ERROR,
            },
        }},
        "/rws.geojson": {"get": {
            "operationId": "getRWsGeoJSON",
            "summary": "Every RW with its slum assessment and public packages, as GeoJSON.",
            "description": "The boundary polygon where one was imported, else the centre point. Streamed.",
            "parameters": REGION_FILTERS,
            "responses": {
                "200": {"description": "A FeatureCollection.", **json_content(
                    ref("RWFeatureCollection"), {"type": "FeatureCollection", "features": [RW_FEATURE_EXAMPLE]},
                    GEOJSON)},
                "422": invalid_parameters({"kecamatan": "No kecamatan has this code."}),
                "500": SERVER_ERROR,
            },
        }},
    }
