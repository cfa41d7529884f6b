"""POST /api/v1/packages/<id>/pledges: pledging with a personal token and an Idempotency-Key."""
from flask import g, jsonify, request, url_for

from app.api import bp
from app.api.auth import token_required
from app.api.params import ID, MAX_ID
from app.errors import json_error
from app.extensions import db
from app.models import Package
from app.services import pledging

FIELDS = {"amount", "work_item_id", "anonymous", "message"}


def pledge_body(pledge, package):
    """The pledge as the API returns it."""
    return {
        "id": pledge.id,
        "package_id": pledge.package_id,
        "amount": pledge.amount,
        "work_item_id": pledge.work_item_id,
        "anonymous": pledge.anonymous,
        "message": pledge.message,
        "status": pledge.status,
        "created_at": pledge.created_at.isoformat(),
        "package": {"status": package.status, "committed": package.committed, "remaining": package.remaining},
        "receipt_url": url_for("pledges.receipt", pledge_id=pledge.id),
    }


def _validate(body):
    """(values, field errors) for a JSON pledge body."""
    if not isinstance(body, dict):
        return None, {"body": "Send a JSON object."}
    errors = {key: "Unknown field." for key in body if key not in FIELDS}
    amount = body.get("amount")
    if "amount" not in body:
        errors["amount"] = "Required."
    elif isinstance(amount, bool) or not isinstance(amount, int):
        errors["amount"] = "A whole number of rupiah (JSON integer)."
    elif not 0 < amount <= pledging.MAX_PLEDGE:
        errors["amount"] = "Must be more than 0 and at most 10^15."
    item = body.get("work_item_id")
    if item is not None and (isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= MAX_ID):
        errors["work_item_id"] = "A work item id (a positive integer), or null."
    if not isinstance(body.get("anonymous", False), bool):
        errors["anonymous"] = "true or false."
    message = body.get("message")
    # PostgreSQL text cannot hold NUL, so it is refused here rather than failing the INSERT.
    if message is not None and (not isinstance(message, str) or len(message) > 500 or "\x00" in message):
        errors["message"] = "Text of at most 500 characters (no NUL), or null."
    return body, errors


@bp.post(f"/packages/<{ID}:package_id>/pledges")
@token_required("pledge.create")
def create_pledge(package_id):
    """Pledge to a package. 201 created (or replayed), 409 refused by the package's state, 422 invalid."""
    if not request.is_json:
        return json_error(415, "unsupported_media_type", "Send the pledge as application/json.")
    key = request.headers.get("Idempotency-Key", "").strip()
    body, errors = _validate(request.get_json(silent=True))
    if not key:
        errors["Idempotency-Key"] = "Send a unique Idempotency-Key header per pledge (e.g. a UUID)."
    if errors:
        return json_error(422, "invalid_pledge", "The pledge is not valid.", errors)
    package = db.session.get(Package, package_id)
    if package is None:
        return json_error(404, "not_found", "No package with this id.")
    try:
        pledge, replayed = pledging.pledge_idempotently(
            package, g.api_user, key, body["amount"], work_item_id=body.get("work_item_id"),
            anonymous=body.get("anonymous", False), message=body.get("message"),
        )
    except pledging.PledgeError as error:
        status = 409 if error.code == "conflict" else 422
        code = {"conflict": "pledge_refused", "idempotency_mismatch": "idempotency_key_reused"}.get(
            error.code, "invalid_pledge")
        return json_error(status, code, str(error), {error.field: str(error)} if error.field else None)
    db.session.refresh(package)
    response = jsonify(pledge_body(pledge, package))
    response.status_code = 201
    response.headers["Location"] = url_for("pledges.receipt", pledge_id=pledge.id)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
