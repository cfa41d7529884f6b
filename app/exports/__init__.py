"""Open data: the public datasets as CSV, XLSX and GeoJSON downloads, and a page that lists them."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from app.exports import routes  # noqa: E402,F401 - routes attach themselves to bp
