"""Account routes: thin — read the form, call the accounts service, render."""
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, PasswordChangeForm, RegisterForm, RevokeForm, TokenForm
from app.extensions import limiter
from app.services import accounts, tokens
from app.urls import safe_next


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _token_limit():
    return current_app.config["TOKEN_RATE_LIMIT"]


def _fresh_session():
    """Empty the session (no fixation across sign-in and sign-out), keeping only the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user, remember=False):
    """A fresh session on every login."""
    _fresh_session()
    login_user(user, remember=remember)
    accounts.record_login(user)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    """Collaborators sign themselves up."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_collaborator(
                email=form.email.data, password=form.password.data, name=form.name.data,
                is_company=form.kind.data == "company", organisation_name=form.organisation_name.data,
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            _start_session(user)
            flash(_("Welcome to Rukun, %(name)s.", name=user.name), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in; `next` is followed only when it is a local path."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            _start_session(user, remember=form.remember.data)
            flash(_("Signed in as %(name)s.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST, with CSRF, so a link on another site cannot sign you out)."""
    logout_user()
    _fresh_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


def _profile_page(form=None, token_form=None, new_token=None, status=200):
    return render_template(
        "auth/profile.html", form=form or PasswordChangeForm(formdata=None), token_form=token_form or TokenForm(
            formdata=None), revoke_form=RevokeForm(), api_tokens=tokens.tokens_of(current_user), new_token=new_token,
    ), status


@bp.post("/tokens")
@login_required
@limiter.limit(_token_limit)
def create_token():
    """Create a personal API token; it is shown once, on this response only."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            plain, _token = tokens.create_token(current_user, form.name.data)
        except tokens.TokenError as error:
            form.name.errors.append(str(error))
        else:
            return _profile_page(new_token=plain)
    return _profile_page(token_form=form, status=422)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    """Revoke one of your tokens."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    if not tokens.revoke(current_user, token_id):
        abort(404)
    flash(_("Token revoked."), "info")
    return redirect(url_for("auth.profile"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Your account, password and API tokens."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.current.data) is None:
            form.current.errors.append(_("The current password is wrong."))
        else:
            accounts.change_password(current_user, form.password.data)
            # The session token rotated: sign this session in again with the real user object
            # (the current_user proxy itself must not be stored as the user).
            login_user(current_user._get_current_object())
            flash(_("Password changed. Other sessions have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(form=form, status=200 if request.method == "GET" or not form.errors else 422)
