"""The OpenAPI 3.1 document for /api/v1, built from the same vocabularies the API validates with.

Every operation lists each status it can answer, error statuses with the Error schema, and an example per
response (tests/functional/test_openapi.py holds the document to that, against the app's URL map).
"""
from app.api import openapi_examples as examples
from app.api import openapi_open_data, openapi_schemas
from app.api.openapi_common import (
    FORBIDDEN,
    NOT_FOUND,
    REGION_CODE,
    SEARCH_TEXT,
    SERVER_ERROR,
    UNAUTHORIZED,
    error,
    invalid_parameters,
    json_content,
    path_id,
    query,
    ref,
)
from app.domain import WORK_ASPECTS, PackageStatus, SlumLevel
from app.services.catalogue import MAX_PER_PAGE, SORTS
from app.services.matching import MAX_BUDGET
from app.services.matching import MAX_PER_PAGE as MAX_RECOMMENDATIONS

ASPECT_LIST = {"type": "string", "maxLength": 200}


def filter_parameters(tier_codes):
    """The catalogue's filters (shared by /packages and /packages.geojson); tiers are data, so their codes
    are listed as they are configured now."""
    tier = {"type": "string", "enum": list(tier_codes)} if tier_codes else {"type": "string", "maxLength": 30}
    return [
        query("kota", REGION_CODE, "Kemendagri code of a kabupaten/kota, e.g. 31.72 (Jakarta Utara)."),
        query("kecamatan", REGION_CODE, "Kemendagri code of a kecamatan, e.g. 31.72.04."),
        query("kelurahan", REGION_CODE, "Kemendagri code of a kelurahan, e.g. 31.72.04.1004."),
        query("tier", tier, "Tier code (configurable): bersama, utama, lengkap in the demo."),
        query("status", {"type": "string", "enum": [str(s) for s in PackageStatus if s != PackageStatus.DRAFT]},
              "Package status."),
        query("aspect", {"type": "string", "enum": list(WORK_ASPECTS)}, "Packages with work on this aspect."),
        query("severity", {"type": "string", "enum": [str(level) for level in SlumLevel]}, "RW slum severity."),
        query("funded_min", {"type": "integer", "minimum": 0, "maximum": 100}, "Minimum % of the estimate committed."),
        query("funded_max", {"type": "integer", "minimum": 0, "maximum": 100}, "Maximum % of the estimate committed."),
        query("q", SEARCH_TEXT, "Text in the title or region names."),
    ]


def page_parameters():
    """Sorting and paging of /packages."""
    return [
        query("sort", {"type": "string", "enum": list(SORTS), "default": "need"},
              "need (slum score, households), remaining (amount still needed), funded (% funded), newest."),
        query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}, "Page number."),
        query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 24}, "Page size."),
    ]


def _pledge_path():
    return {"post": {
        "operationId": "createPledge",
        "summary": "Pledge to a package (collaborators' personal token).",
        "description": "Whole-only tiers take one pledge of the full remaining amount; others take at least the "
                       "tier minimum (a smaller last pledge may close the gap). Retrying with the same "
                       "Idempotency-Key and body returns the same pledge (header Idempotent-Replayed: true); the "
                       "same key with another body is refused.",
        "security": [{"bearerAuth": []}],
        "parameters": [
            path_id("package_id", "The package's id."),
            {"name": "Idempotency-Key", "in": "header", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 80},
             "description": "A unique key per pledge (e.g. a UUID); printable characters."},
        ],
        "requestBody": {"required": True, **json_content(ref("PledgeRequest"), {"amount": 2_500_000,
                                                                               "anonymous": False})},
        "responses": {
            "201": {"description": "Created, or replayed for the same key and body.",
                    "headers": {"Location": {"schema": {"type": "string"}, "description": "The receipt page."}},
                    **json_content(ref("Pledge"), examples.PLEDGE)},
            "401": UNAUTHORIZED,
            "403": FORBIDDEN,
            "404": error("No such package.", "not_found", "No package with this id."),
            "409": error("More than remains, tier rules, or the package is not open.", "pledge_refused",
                         "That is more than the package still needs (Rp 327.500.000).",
                         {"amount": "That is more than the package still needs (Rp 327.500.000)."}),
            "413": error("The body is larger than the server accepts.", "request_entity_too_large",
                         "The data value transmitted exceeds the capacity limit."),
            "415": error("Not application/json.", "unsupported_media_type", "Send the pledge as application/json."),
            "422": error("Invalid body, missing key, or key reused for another body.", "invalid_pledge",
                         "The pledge is not valid.", {"amount": "A whole number of rupiah (JSON integer)."}),
            "500": SERVER_ERROR,
        },
    }}


def _collaborator_reads():
    budget = query("budget", {"type": "integer", "minimum": 1, "maximum": MAX_BUDGET}, "Budget in rupiah.")
    aspects = query("aspects", ASPECT_LIST, "Comma-separated aspect codes: " + ", ".join(WORK_ASPECTS) + ".")
    only_collaborators = error("Only collaborators get recommendations and plans.", "forbidden",
                               "This account may not do that.")
    return {
        "/recommendations": {"get": {
            "operationId": "listRecommendations",
            "summary": "Open packages ranked for the token's collaborator, with score parts and reasons.",
            "description": "Uses the preferences saved on the profile; `budget` and `aspects` override them for "
                           "this request. The score (0–100) is the weighted mean of the parts in meta.weights.",
            "security": [{"bearerAuth": []}],
            "parameters": [
                budget, aspects,
                query("page", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}, "Page."),
                query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS, "default": 20},
                      "Page size."),
            ],
            "responses": {
                "200": {"description": "A page of recommendations.",
                        **json_content(ref("RecommendationList"), examples.RECOMMENDATION_LIST)},
                "401": UNAUTHORIZED, "403": only_collaborators,
                "422": invalid_parameters({"budget": f"A whole rupiah amount from 1 to {MAX_BUDGET}."}),
                "500": SERVER_ERROR,
            },
        }},
        "/plan": {"get": {
            "operationId": "planBudget",
            "summary": "A budget plan: packages to fund completely, then co-funding with what is left.",
            "description": "Nothing is pledged: pledge each line with POST /packages/{id}/pledges.",
            "security": [{"bearerAuth": []}],
            "parameters": [budget, aspects],
            "responses": {
                "200": {"description": "The plan.", **json_content(ref("Plan"), examples.PLAN)},
                "401": UNAUTHORIZED, "403": only_collaborators,
                "422": invalid_parameters({"budget": "Give a budget, or save one in your preferences."}),
                "500": SERVER_ERROR,
            },
        }},
    }


def document(server_url, tier_codes=()):
    """The whole OpenAPI document, with `server_url` as the base and the configured `tier_codes`."""
    filters = filter_parameters(tier_codes)
    paths = {
        "/packages": {"get": {
            "operationId": "listPackages",
            "summary": "Public packages, filtered, sorted and paginated.",
            "parameters": [*filters, *page_parameters()],
            "responses": {
                "200": {"description": "A page of packages.", **json_content(ref("PackageList"),
                                                                             examples.PACKAGE_LIST)},
                "422": invalid_parameters({"sort": "Choose one of: need, remaining, funded, newest."}),
                "500": SERVER_ERROR,
            },
        }},
        "/packages/{package_id}": {"get": {
            "operationId": "getPackage",
            "summary": "One public package with its RAB, funding, supporters and history.",
            "parameters": [path_id("package_id", "The package's id.")],
            "responses": {"200": {"description": "The package.", **json_content(ref("Package"), examples.PACKAGE)},
                          "404": NOT_FOUND, "500": SERVER_ERROR},
        }},
        "/packages/{package_id}/pledges": _pledge_path(),
        **_collaborator_reads(),
        "/rws/{rw_id}": {"get": {
            "operationId": "getRW",
            "summary": "One RW with its slum assessment history and public packages.",
            "parameters": [path_id("rw_id", "The RW's id.")],
            "responses": {"200": {"description": "The RW.", **json_content(ref("RWDetail"), examples.RW_DETAIL)},
                          "404": error("No such RW.", "not_found", "No RW with this id."), "500": SERVER_ERROR},
        }},
        **openapi_open_data.paths(filters),
        "/openapi.json": {"get": {
            "operationId": "getOpenAPI",
            "summary": "This document.",
            "responses": {"200": {"description": "The OpenAPI document.", **json_content(
                {"type": "object", "required": ["openapi", "info", "paths"]},
                {"openapi": "3.1.0", "info": {"title": "Rukun API", "version": "1.0.0"}, "paths": {}})},
                "500": SERVER_ERROR},
        }},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rukun API",
            "version": "1.0.0",
            "description": "Open data on neighbourhood (RW) upgrading packages, their funding and progress, and "
                           "pledging for partners. Money is in whole rupiah. Reads need no authentication; "
                           "recommendations, plans and pledges take a collaborator's personal token. Errors are "
                           '`{"error": {"code", "message", "fields"}}`. Send Accept-Language: id for messages '
                           "in Bahasa Indonesia.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {**openapi_schemas.schemas(), **openapi_open_data.schemas()},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal API token from your profile page."}},
        },
    }
