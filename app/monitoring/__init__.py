"""Monitoring: government's dashboard and the public transparency pages with the same figures."""
from flask import Blueprint

bp = Blueprint("monitoring", __name__)

from app.monitoring import routes  # noqa: E402,F401 - routes attach themselves to bp
