"""The signed-in user's notifications: the list, marking read, opening one."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import routes  # noqa: E402,F401 - routes attach themselves to bp
