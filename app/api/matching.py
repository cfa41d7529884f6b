"""Recommendations and the budget planner over the API, for the token's collaborator."""
from dataclasses import replace

from flask import g, jsonify, request, url_for

from app.api import bp, serializers
from app.api.auth import token_required
from app.domain import WORK_ASPECTS
from app.errors import json_error
from app.services import matching, preferences

PARAMETERS = {"page", "per_page", "budget", "aspects"}


def _profile(errors):
    """The token user's saved preferences with `budget` / `aspects` from the query string laid over them."""
    profile = preferences.profile_for(g.api_user)
    raw_budget = request.args.get("budget")
    if raw_budget is not None:
        if raw_budget.isascii() and raw_budget.isdigit() and 0 < int(raw_budget) <= matching.MAX_BUDGET:
            profile = replace(profile, budget=int(raw_budget))
        else:
            errors["budget"] = f"A whole rupiah amount from 1 to {matching.MAX_BUDGET}."
    raw_aspects = request.args.get("aspects")
    if raw_aspects is not None:
        aspects = tuple(dict.fromkeys(a.strip() for a in raw_aspects.split(",") if a.strip()))
        if any(a not in WORK_ASPECTS for a in aspects):
            errors["aspects"] = "Comma-separated aspect codes: " + ", ".join(WORK_ASPECTS) + "."
        else:
            profile = replace(profile, aspects=aspects)
    return profile


def _whole(name, low, high, default, errors):
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    errors[name] = f"A whole number from {low} to {high}."
    return default


def _unknown(errors, allowed):
    for name in request.args:
        if name not in allowed:
            errors[name] = "Unknown parameter."


def _recommendation(item):
    return {"package": serializers.card(item.card, url_for), "score": item.score, "parts": item.parts,
            "reasons": item.reasons, "reason_text": item.reason_text,
            "nearest_site": {"name": item.nearest_site.name, "distance_km": round(item.distance_km, 2)}
            if item.nearest_site else None}


def _preferences(profile):
    return {"budget": profile.budget, "aspects": list(profile.aspects),
            "regions": [name for _id, name in profile.regions], "regions_required": profile.regions_required,
            "tier_ids": list(profile.tier_ids), "sites": [site.name for site in profile.sites]}


@bp.get("/recommendations")
@token_required("match.use")
def recommendations():
    """Open packages ranked for the token's collaborator, with score parts and reasons."""
    errors = {}
    _unknown(errors, PARAMETERS)
    profile = _profile(errors)
    page = _whole("page", 1, 10_000, 1, errors)
    per_page = _whole("per_page", 1, matching.MAX_PER_PAGE, matching.DEFAULT_PER_PAGE, errors)
    if errors:
        return json_error(422, "invalid_parameters", "Some query parameters are not valid.", errors)
    result = matching.recommend(profile, page=page, per_page=per_page)
    args = {key: value for key, value in request.args.items() if key != "page"}
    links = {"self": url_for("api.recommendations", page=page, **args)}
    if page < result.pages:
        links["next"] = url_for("api.recommendations", page=page + 1, **args)
    return jsonify({
        "data": [_recommendation(item) for item in result.items],
        "meta": {"page": page, "per_page": per_page, "total": result.total, "pages": result.pages,
                 "weights": {name: matching.WEIGHTS[name] for name in profile.applicable()},
                 "preferences": _preferences(profile)},
        "links": links,
    })


@bp.get("/plan")
@token_required("match.use")
def plan():
    """A budget plan: packages to fund completely, then co-funding with the rest (nothing is pledged)."""
    errors = {}
    _unknown(errors, {"budget", "aspects"})
    profile = _profile(errors)
    if profile.budget is None and "budget" not in errors:
        errors["budget"] = "Give a budget, or save one in your preferences."
    if errors:
        return json_error(422, "invalid_parameters", "Some query parameters are not valid.", errors)
    result = matching.plan(profile, profile.budget)
    return jsonify({
        "budget": result.budget, "unit": result.unit, "total": result.total, "leftover": result.leftover,
        "covered": {"packages": len(result.completed), "households": result.covered("households"),
                    "population": result.covered("population"), "area_ha": round(result.covered("area_ha"), 2)},
        "lines": [{**_recommendation(item.recommendation), "amount": item.amount, "completes": item.completes,
                   "need_value": item.value} for item in result.items],
        "preferences": _preferences(profile),
    })
