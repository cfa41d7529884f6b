"""Matching on the web: a collaborator's preferences, ranked recommendations and the budget planner."""
from flask import Blueprint

bp = Blueprint("matching", __name__)

from app.matching import routes  # noqa: E402,F401 - routes attach themselves to bp
