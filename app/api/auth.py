"""Bearer-token authentication for API writes."""
from functools import wraps

from flask import current_app, g, request

from app.errors import json_error
from app.extensions import limiter
from app.permissions import can
from app.services import tokens


def token_required(action):
    """The view needs `Authorization: Bearer <token>` of a user allowed to `action` (401 / 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
            user = tokens.user_for(credentials.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                response = json_error(401, "unauthorized", "A valid personal API token is required "
                                      "(Authorization: Bearer <token>).")
                response[0].headers["WWW-Authenticate"] = 'Bearer realm="rukun"'
                return response
            if not can(action, user=user):
                return json_error(403, "forbidden", "This account may not do that.")
            g.api_user = user
            return view(*args, **kwargs)

        # Guessing tokens costs: failed authentications count against the client's address.
        return limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"],
                             deduct_when=lambda response: response.status_code == 401)(wrapped)

    return decorator
