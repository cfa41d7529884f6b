"""Maps: the public package map, its GeoJSON, and government's coverage choropleth."""
from flask import Blueprint

bp = Blueprint("maps", __name__)

from app.maps import routes  # noqa: E402,F401 - routes attach themselves to bp
