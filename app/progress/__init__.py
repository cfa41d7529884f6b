"""Progress tracking: reports with photos, spending with receipts, government verification."""
from flask import Blueprint

bp = Blueprint("progress", __name__)

from app.progress import routes  # noqa: E402,F401  (routes attach themselves to bp)
