"""Pledging on the web: the pledge form and its confirmation, my pledges, receipts, confirmation of receipt."""
from flask import Blueprint

bp = Blueprint("pledges", __name__)

from app.pledges import routes  # noqa: E402,F401 - routes attach themselves to bp
