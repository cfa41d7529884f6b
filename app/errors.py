"""Error handlers: HTML pages for people, `{"error": {...}}` JSON under /api/."""
from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.extensions import db


def wants_json():
    """API paths always get JSON errors."""
    return request.path.startswith("/api/")


def json_error(status, code, message, fields=None):
    """The API's one error shape."""
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def register(app):
    """Attach the handlers to the app."""

    @app.errorhandler(HTTPException)
    def http_error(error):
        if wants_json():
            code = (error.name or "error").lower().replace(" ", "_")
            return json_error(error.code, code, error.description)
        if error.code == 401:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        if wants_json():
            return json_error(500, "server_error", "Something went wrong on our side.")
        return render_template("errors/error.html", error=None, message=_("Something went wrong on our side.")), 500
