"""The OpenAPI 3.1 document for /api/v1, built from the same vocabularies the API validates with."""
from app.domain import WORK_ASPECTS, PackageStatus, SlumLevel
from app.services.catalogue import MAX_PER_PAGE, MAX_QUERY_LENGTH, SORTS
from app.services.matching import MAX_BUDGET
from app.services.matching import MAX_PER_PAGE as MAX_RECOMMENDATIONS
from app.services.matching import WEIGHTS as MATCH_WEIGHTS

MONEY = {"type": "integer", "minimum": 0, "description": "Whole rupiah."}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _json(schema, example=None):
    content = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"content": {"application/json": content}}


ERROR_RESPONSES = {
    "404": {"description": "Not found.", **_json(_ref("Error"))},
}

REGION_CODE = {"type": "string", "maxLength": 20, "pattern": r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$"}

FILTER_PARAMETERS = [
    _query("kota", REGION_CODE, "Kemendagri code of a kabupaten/kota, e.g. 31.72 (Jakarta Utara)."),
    _query("kecamatan", REGION_CODE, "Kemendagri code of a kecamatan, e.g. 31.72.04."),
    _query("kelurahan", REGION_CODE, "Kemendagri code of a kelurahan, e.g. 31.72.04.1004."),
    _query("tier", {"type": "string", "maxLength": 30}, "Tier code: bersama, utama, lengkap (configurable)."),
    _query("status", {"type": "string", "enum": [str(s) for s in PackageStatus if s != PackageStatus.DRAFT]},
           "Package status."),
    _query("aspect", {"type": "string", "enum": list(WORK_ASPECTS)}, "Packages with work on this aspect."),
    _query("severity", {"type": "string", "enum": [str(level) for level in SlumLevel]}, "RW slum severity."),
    _query("funded_min", {"type": "integer", "minimum": 0, "maximum": 100}, "Minimum % of the estimate committed."),
    _query("funded_max", {"type": "integer", "minimum": 0, "maximum": 100}, "Maximum % of the estimate committed."),
    _query("q", {"type": "string", "maxLength": MAX_QUERY_LENGTH}, "Text in the title or region names."),
    _query("sort", {"type": "string", "enum": list(SORTS), "default": "need"},
           "need (slum score, households), remaining (amount still needed), funded (% funded), newest."),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 24}, "Page size."),
]


def _schemas():
    region = {"type": "object", "required": ["code", "name", "level"],
              "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string"}}}
    rw_core = {
        "type": "object",
        "required": ["id", "number", "kelurahan", "kecamatan", "kota", "lat", "lon", "households"],
        "properties": {
            "id": {"type": "integer"}, "number": {"type": "integer"}, "kelurahan": _ref("Region"),
            "kecamatan": _ref("Region"), "kota": _ref("Region"), "lat": {"type": "number"},
            "lon": {"type": "number"}, "location_approximate": {"type": "boolean"},
            "households": {"type": "integer"}, "population": {"type": "integer"}, "area_ha": {"type": "number"},
            "slum_score": NULLABLE_INT, "slum_level": NULLABLE_STRING,
        },
    }
    assessment = {
        "type": "object",
        "required": ["assessed_on", "shares", "aspect_scores", "total_score", "level"],
        "properties": {
            "assessed_on": {"type": "string", "format": "date"}, "is_baseline": {"type": "boolean"},
            "shares": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100}},
            "aspect_scores": {"type": "object", "additionalProperties": {"type": "integer"}},
            "total_score": {"type": "integer", "minimum": 0, "maximum": 80},
            "level": {"type": "string", "enum": [str(level) for level in SlumLevel]},
        },
    }
    card = {
        "type": "object",
        "required": ["id", "title", "status", "tier", "estimate", "committed", "remaining", "rw", "url"],
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "status": {"type": "string"},
            "tier": {"type": "string"}, "estimate": MONEY, "committed": MONEY, "received": MONEY,
            "remaining": MONEY, "funded_pct": {"type": "integer"}, "progress_pct": {"type": "integer"},
            "rw": {"type": "object"}, "kelurahan": {"type": "string"}, "kecamatan": {"type": "string"},
            "kota": {"type": "object"}, "aggregator": NULLABLE_STRING,
            "published_at": {"type": ["string", "null"], "format": "date-time"}, "url": {"type": "string"},
        },
    }
    package = {
        "type": "object",
        "required": ["id", "title", "status", "tier", "estimate", "committed", "received", "remaining", "rw",
                     "work_items", "supporters", "history"],
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "description": NULLABLE_STRING,
            "status": {"type": "string"}, "tier": {"type": "object"}, "aggregator": NULLABLE_STRING,
            "estimate": MONEY, "committed": MONEY, "received": MONEY, "spent": MONEY, "remaining": MONEY,
            "progress_pct": {"type": "integer", "minimum": 0, "maximum": 100},
            "planned_start": {"type": ["string", "null"], "format": "date"},
            "planned_end": {"type": ["string", "null"], "format": "date"},
            "rw": _ref("RW"),
            "work_items": {"type": "array", "items": _ref("WorkItem")},
            "assessment": {"oneOf": [_ref("Assessment"), {"type": "null"}]},
            "supporters": {"type": "array", "items": {"type": "object", "properties": {
                "name": NULLABLE_STRING, "anonymous": {"type": "boolean"}, "amount": MONEY,
                "status": {"type": "string"}}}},
            "history": {"type": "array", "items": {"type": "object"}},
        },
    }
    work_item = {
        "type": "object",
        "required": ["id", "aspect", "description", "quantity", "unit", "unit_cost", "subtotal"],
        "properties": {
            "id": {"type": "integer"}, "aspect": {"type": "string", "enum": list(WORK_ASPECTS)},
            "description": {"type": "string"}, "quantity": {"type": "string", "description": "Decimal as text."},
            "unit": {"type": "string"}, "unit_cost": MONEY, "subtotal": MONEY,
            "progress_pct": {"type": "integer", "minimum": 0, "maximum": 100},
        },
    }
    rw_detail = {"allOf": [_ref("RW"), {"type": "object", "properties": {
        "assessments": {"type": "array", "items": _ref("Assessment")},
        "packages": {"type": "array", "items": {"type": "object"}}}}]}
    error = {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
    }
    page = {
        "type": "object", "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": _ref("PackageCard")},
            "meta": {"type": "object", "required": ["page", "per_page", "total", "pages"], "properties": {
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "pages": {"type": "integer"}}},
            "links": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    pledge_request = {
        "type": "object", "required": ["amount"], "additionalProperties": False,
        "properties": {
            "amount": {"type": "integer", "minimum": 1, "maximum": 10**15, "description": "Whole rupiah."},
            "work_item_id": {"type": ["integer", "null"], "description": "Earmark for one work item."},
            "anonymous": {"type": "boolean", "default": False},
            "message": {"type": ["string", "null"], "maxLength": 500},
        },
    }
    pledge = {
        "type": "object",
        "required": ["id", "package_id", "amount", "status", "created_at", "package", "receipt_url"],
        "properties": {
            "id": {"type": "integer"}, "package_id": {"type": "integer"}, "amount": MONEY,
            "work_item_id": NULLABLE_INT, "anonymous": {"type": "boolean"}, "message": NULLABLE_STRING,
            "status": {"type": "string", "enum": ["pledged", "received", "cancelled"]},
            "created_at": {"type": "string", "format": "date-time"},
            "package": {"type": "object", "properties": {
                "status": {"type": "string"}, "committed": MONEY, "remaining": MONEY}},
            "receipt_url": {"type": "string"},
        },
    }
    parts = {"type": "object", "description": "Score parts from 0 to 1 (only those the preferences make meaningful).",
             "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
             "propertyNames": {"enum": list(MATCH_WEIGHTS)}}
    recommendation = {
        "type": "object", "required": ["package", "score", "parts", "reasons", "reason_text"],
        "properties": {
            "package": _ref("PackageCard"), "score": {"type": "number", "minimum": 0, "maximum": 100},
            "parts": parts, "reasons": {"type": "array", "items": {"type": "string"}},
            "reason_text": {"type": "string"},
            "nearest_site": {"type": ["object", "null"], "properties": {
                "name": {"type": "string"}, "distance_km": {"type": "number", "minimum": 0}}},
        },
    }
    preferences = {"type": "object", "properties": {
        "budget": {"type": ["integer", "null"]}, "aspects": {"type": "array", "items": {"type": "string"}},
        "regions": {"type": "array", "items": {"type": "string"}}, "regions_required": {"type": "boolean"},
        "tier_ids": {"type": "array", "items": {"type": "integer"}},
        "sites": {"type": "array", "items": {"type": "string"}}}}
    recommendations = {
        "type": "object", "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": _ref("Recommendation")},
            "meta": {"type": "object", "required": ["page", "per_page", "total", "pages", "weights"], "properties": {
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "pages": {"type": "integer"}, "weights": {"type": "object"}, "preferences": _ref("Preferences")}},
            "links": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    plan = {
        "type": "object", "required": ["budget", "unit", "total", "leftover", "covered", "lines"],
        "properties": {
            "budget": MONEY, "unit": {**MONEY, "description": "Rupiah granularity of the knapsack."},
            "total": MONEY, "leftover": MONEY,
            "covered": {"type": "object", "properties": {
                "packages": {"type": "integer"}, "households": {"type": "integer"},
                "population": {"type": "integer"}, "area_ha": {"type": "number"}}},
            "lines": {"type": "array", "items": {"allOf": [_ref("Recommendation"), {"type": "object", "properties": {
                "amount": MONEY, "completes": {"type": "boolean"}, "need_value": {"type": "integer"}}}]}},
            "preferences": _ref("Preferences"),
        },
    }
    return {"Recommendation": recommendation, "RecommendationList": recommendations, "Plan": plan,
            "Preferences": preferences,
            "PledgeRequest": pledge_request, "Pledge": pledge, "Region": region, "RW": rw_core,
            "RWDetail": rw_detail, "Assessment": assessment,
            "PackageCard": card, "PackageList": page, "Package": package, "WorkItem": work_item, "Error": error}


def document(server_url):
    """The whole OpenAPI document, with `server_url` as the base."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rukun API",
            "version": "1.0.0",
            "description": "Open data on neighbourhood (RW) upgrading packages, their funding and progress. "
                           "Money is in whole rupiah. Reads need no authentication.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/packages": {"get": {
                "operationId": "listPackages",
                "summary": "Public packages, filtered, sorted and paginated.",
                "parameters": FILTER_PARAMETERS,
                "responses": {
                    "200": {"description": "A page of packages.", **_json(_ref("PackageList"))},
                    "422": {"description": "Invalid or unknown parameters.", **_json(_ref("Error"), {
                        "error": {"code": "invalid_parameters", "message": "Some query parameters are not valid.",
                                  "fields": {"sort": "Choose one of: need, remaining, funded, newest."}}})},
                },
            }},
            "/packages/{package_id}": {"get": {
                "operationId": "getPackage",
                "summary": "One public package with its RAB, funding, supporters and history.",
                "parameters": [{"name": "package_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "The package.", **_json(_ref("Package"))}, **ERROR_RESPONSES},
            }},
            "/packages/{package_id}/pledges": {"post": {
                "operationId": "createPledge",
                "summary": "Pledge to a package (collaborators' personal token).",
                "description": "Whole-only tiers take one pledge of the full remaining amount; others take at "
                               "least the tier minimum (a smaller last pledge may close the gap). Retrying with "
                               "the same Idempotency-Key and body returns the same pledge (header "
                               "Idempotent-Replayed: true); the same key with another body is refused.",
                "security": [{"bearerAuth": []}],
                "parameters": [
                    {"name": "package_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "Idempotency-Key", "in": "header", "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 80}},
                ],
                "requestBody": {"required": True, **_json(_ref("PledgeRequest"), {"amount": 2500000,
                                                                                  "anonymous": False})},
                "responses": {
                    "201": {"description": "Created, or replayed for the same key and body.", **_json(_ref("Pledge"))},
                    "401": {"description": "Missing or invalid token.", **_json(_ref("Error"))},
                    "403": {"description": "This account may not pledge.", **_json(_ref("Error"))},
                    "404": {"description": "No such package.", **_json(_ref("Error"))},
                    "409": {"description": "More than remains, tier rules, or the package is not open.",
                            **_json(_ref("Error"))},
                    "415": {"description": "Not application/json.", **_json(_ref("Error"))},
                    "422": {"description": "Invalid body, missing key, or key reused for another body.",
                            **_json(_ref("Error"))},
                },
            }},
            "/recommendations": {"get": {
                "operationId": "listRecommendations",
                "summary": "Open packages ranked for the token's collaborator, with score parts and reasons.",
                "description": "Uses the preferences saved on the profile; `budget` and `aspects` override them "
                               "for this request. The score (0–100) is the weighted mean of the parts listed in "
                               "meta.weights.",
                "security": [{"bearerAuth": []}],
                "parameters": [
                    _query("budget", {"type": "integer", "minimum": 1, "maximum": MAX_BUDGET}, "Budget in rupiah."),
                    _query("aspects", {"type": "string", "maxLength": 200},
                           "Comma-separated aspect codes: " + ", ".join(WORK_ASPECTS) + "."),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}, "Page."),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS,
                                        "default": 20}, "Page size."),
                ],
                "responses": {
                    "200": {"description": "A page of recommendations.", **_json(_ref("RecommendationList"))},
                    "401": {"description": "Missing or invalid token.", **_json(_ref("Error"))},
                    "403": {"description": "Only collaborators get recommendations.", **_json(_ref("Error"))},
                    "422": {"description": "Invalid or unknown parameters.", **_json(_ref("Error"))},
                },
            }},
            "/plan": {"get": {
                "operationId": "planBudget",
                "summary": "A budget plan: packages to fund completely, then co-funding with what is left.",
                "description": "Nothing is pledged: pledge each line with POST /packages/{id}/pledges.",
                "security": [{"bearerAuth": []}],
                "parameters": [
                    _query("budget", {"type": "integer", "minimum": 1, "maximum": MAX_BUDGET},
                           "Budget in rupiah (default: the saved budget)."),
                    _query("aspects", {"type": "string", "maxLength": 200}, "Comma-separated aspect codes."),
                ],
                "responses": {
                    "200": {"description": "The plan.", **_json(_ref("Plan"))},
                    "401": {"description": "Missing or invalid token.", **_json(_ref("Error"))},
                    "403": {"description": "Only collaborators plan budgets.", **_json(_ref("Error"))},
                    "422": {"description": "No budget, or invalid parameters.", **_json(_ref("Error"))},
                },
            }},
            "/rws/{rw_id}": {"get": {
                "operationId": "getRW",
                "summary": "One RW with its slum assessment history and public packages.",
                "parameters": [{"name": "rw_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "The RW.", **_json(_ref("RWDetail"))}, **ERROR_RESPONSES},
            }},
            "/openapi.json": {"get": {
                "operationId": "getOpenAPI",
                "summary": "This document.",
                "responses": {"200": {"description": "The OpenAPI document.",
                                      **_json({"type": "object"})}},
            }},
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal API token from your profile page."}},
        },
    }
