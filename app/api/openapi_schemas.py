"""Component schemas of the OpenAPI document for packages, RWs, pledges and recommendations."""
from app.api.openapi_common import ERROR_SCHEMA, MONEY, NO_NUL, NULLABLE_INT, NULLABLE_STRING, ref
from app.api.params import MAX_ID
from app.domain import WORK_ASPECTS, SlumLevel
from app.services.matching import WEIGHTS as MATCH_WEIGHTS


def schemas():
    """The schemas by name (open data adds its own in `openapi_open_data`)."""
    region = {"type": "object", "required": ["code", "name", "level"],
              "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string"}}}
    rw_core = {
        "type": "object",
        "required": ["id", "number", "kelurahan", "kecamatan", "kota", "lat", "lon", "households"],
        "properties": {
            "id": {"type": "integer"}, "number": {"type": "integer"}, "kelurahan": ref("Region"),
            "kecamatan": ref("Region"), "kota": ref("Region"), "lat": {"type": "number"},
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
            "rw": ref("RW"),
            "work_items": {"type": "array", "items": ref("WorkItem")},
            "assessment": {"oneOf": [ref("Assessment"), {"type": "null"}]},
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
    rw_detail = {"allOf": [ref("RW"), {"type": "object", "properties": {
        "assessments": {"type": "array", "items": ref("Assessment")},
        "packages": {"type": "array", "items": {"type": "object"}}}}]}
    page = {
        "type": "object", "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": ref("PackageCard")},
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
            "work_item_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID,
                             "description": "Earmark for one work item."},
            "anonymous": {"type": "boolean", "default": False},
            "message": {"type": ["string", "null"], "maxLength": 500, "pattern": NO_NUL},
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
            "package": ref("PackageCard"), "score": {"type": "number", "minimum": 0, "maximum": 100},
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
            "data": {"type": "array", "items": ref("Recommendation")},
            "meta": {"type": "object", "required": ["page", "per_page", "total", "pages", "weights"], "properties": {
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "pages": {"type": "integer"}, "weights": {"type": "object"}, "preferences": ref("Preferences")}},
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
            "lines": {"type": "array", "items": {"allOf": [ref("Recommendation"), {"type": "object", "properties": {
                "amount": MONEY, "completes": {"type": "boolean"}, "need_value": {"type": "integer"}}}]}},
            "preferences": ref("Preferences"),
        },
    }
    return {"Recommendation": recommendation, "RecommendationList": recommendations, "Plan": plan,
            "Preferences": preferences,
            "PledgeRequest": pledge_request, "Pledge": pledge, "Region": region, "RW": rw_core,
            "RWDetail": rw_detail, "Assessment": assessment,
            "PackageCard": card, "PackageList": page, "Package": package, "WorkItem": work_item, "Error": ERROR_SCHEMA}
