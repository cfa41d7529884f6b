"""Landing page and small public utilities."""
from flask import current_app, redirect, render_template, request, session, url_for

from app.main import bp
from app.services import stats
from app.urls import safe_next


@bp.get("/")
def index():
    """Headline figures of the programme."""
    return render_template("main/index.html", figures=stats.headline(), kotas=stats.kotas_with_rws())


@bp.get("/lang/<code>")
def set_language(code):
    """Switch the interface language and go back where the reader was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.get("/healthz")
def healthz():
    """Liveness for load balancers."""
    return {"status": "ok"}
