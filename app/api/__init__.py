"""The JSON API under /api/v1: open data reads, and writes with a personal token."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import matching, open_data, pledges, routes  # noqa: E402,F401 - routes attach themselves to bp
