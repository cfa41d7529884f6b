"""Public pages: the package catalogue, package, RW and region pages."""
from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from app.catalogue import routes  # noqa: E402,F401 - routes attach themselves to bp
