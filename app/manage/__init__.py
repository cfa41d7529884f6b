"""Government and aggregator tools: RWs, assessments, packages, tiers, assignment requests."""
from flask import Blueprint

bp = Blueprint("manage", __name__)

from app.manage import gap_routes, package_routes, routes  # noqa: E402,F401 - routes attach themselves to bp
