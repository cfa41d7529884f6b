"""Sign-up, sign-in, sign-out and the profile."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401 - routes attach themselves to bp
