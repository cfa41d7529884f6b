"""Building blocks of the OpenAPI document: references, parameters, JSON content with examples, errors."""
from app.api.params import MAX_ID
from app.services.catalogue import MAX_QUERY_LENGTH

MONEY = {"type": "integer", "minimum": 0, "description": "Whole rupiah."}
COUNT = {"type": "integer", "minimum": 0}
PERCENT = {"type": "integer", "minimum": 0, "maximum": 100, "description": "Whole percent, rounded down."}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
REGION_CODE = {"type": "string", "maxLength": 20, "pattern": r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def ref(name):
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def query(name, schema, description):
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def path_id(name, description):
    """A required integer id in the path."""
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": description}


IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "The ETag of a copy you hold: 304 without a body when it is still current."}


def json_content(schema, example, media_type="application/json"):
    """A `content` object with one media type, its schema and an example."""
    return {"content": {media_type: {"schema": schema, "example": example}}}


def error(description, code, message, fields=None):
    """A documented error response: the Error schema with an example of this error."""
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return {"description": description, **json_content(ref("Error"), body)}


def invalid_parameters(fields):
    """The 422 of a read whose query parameters are invalid or unknown, with example `fields`."""
    return error("Invalid or unknown query parameters: `fields` names each one.", "invalid_parameters",
                 "Some query parameters are not valid.", fields)


NOT_FOUND = error("Not found (or not public).", "not_found", "No public package with this id.")
UNAUTHORIZED = error("Missing or invalid token.", "unauthorized",
                     "A valid personal API token is required (Authorization: Bearer <token>).")
FORBIDDEN = error("This account's role may not do this.", "forbidden", "This account may not do that.")
SERVER_ERROR = error("Something went wrong on our side (nothing was half-written).", "server_error",
                     "Something went wrong on our side.")
NOT_MODIFIED = {"description": "Not modified: the copy named by If-None-Match is current (no body).",
                "headers": {"ETag": {"schema": {"type": "string"}}}}
ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "Send it back as If-None-Match."}}

ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {"type": "object", "required": ["code", "message"], "additionalProperties": False,
                             "properties": {
                                 "code": {"type": "string"}, "message": {"type": "string"},
                                 "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                            "description": "Parameter or field → what is wrong with it."}}}},
}
# PostgreSQL text cannot hold NUL characters, so texts that reach the database refuse them.
NO_NUL = "^[^\\u0000]*$"
SEARCH_TEXT = {"type": "string", "maxLength": MAX_QUERY_LENGTH, "pattern": NO_NUL}
