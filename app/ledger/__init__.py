"""The public ledger: every money and status change, with filters and a CSV download."""
from flask import Blueprint

# Its own small stylesheet (the CSP allows only files, no inline styles).
bp = Blueprint("ledger", __name__, static_folder="static", static_url_path="/ledger/static")

from app.ledger import routes  # noqa: E402,F401 - routes attach themselves to bp
