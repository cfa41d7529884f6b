"""Registration, sign-in, `next` handling, sign-out, password change, sessions, CSRF and language."""
import itertools
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

import config
from app import create_app
from app.domain import Role
from app.extensions import db
from app.models import Organisation, User
from app.services import accounts
from app.urls import safe_next
from tests.factories import PASSWORD

NEW_PASSWORD = "another long passphrase"
_numbers = itertools.count(1)


def browser(app, language="en"):
    """Another browser (its own cookies), reading the interface in `language`."""
    return app.test_client().use_language(language)


@pytest.fixture
def client(client):
    """The shared client, reading English so messages can be matched."""
    return client.use_language("en")


def registration(**overrides):
    data = {"name": "Ada Lovelace", "email": "ada@example.org", "kind": "person",
            "organisation_name": "", "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    return data


def member(make, email=None):
    """A collaborator with a fresh address."""
    return make.user(email=email or f"member{next(_numbers)}@example.org")


def user_count():
    return db.session.scalar(select(func.count(User.id)))


def location(response):
    return urlsplit(response.headers["Location"]).path


def test_register_as_person_creates_signed_in_collaborator(client):
    response = client.post("/auth/register", data=registration())
    assert (response.status_code, location(response)) == (302, "/")
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert user.role == Role.COLLABORATOR
    assert user.is_company is False and user.organisation_id is None
    assert client.get("/auth/profile").status_code == 200


def test_register_as_company_creates_unverified_organisation(client):
    response = client.post("/auth/register", data=registration(kind="company", organisation_name="PT Maju Jaya"))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == "PT Maju Jaya"))
    assert user.is_company is True and user.role == Role.COLLABORATOR
    assert user.organisation_id == organisation.id
    assert organisation.kind == "company" and organisation.verified is False


@pytest.mark.parametrize(("overrides", "message"), [
    ({"password": "short pass", "confirm": "short pass"}, "Use at least 12 characters."),
    ({"confirm": "something else entirely"}, "The passwords do not match."),
    ({"email": "not-an-email"}, "Invalid email address."),
    ({"kind": "company", "organisation_name": ""}, "Give the company or foundation name."),
    ({"kind": "company", "organisation_name": "   "}, "Give the company or foundation name."),
], ids=["short-password", "mismatched-confirm", "invalid-email", "company-without-name", "company-blank-name"])
def test_register_rejects_bad_input_and_keeps_it(client, overrides, message):
    response = client.post("/auth/register", data=registration(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Ada Lovelace"' in page
    assert f'value="{overrides.get("email", "ada@example.org")}"' in page
    assert user_count() == 0


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@Example.ORG", "  Taken@example.org  "])
def test_register_refuses_an_e_mail_already_in_use(client, make, email):
    member(make, email="taken@example.org")
    response = client.post("/auth/register", data=registration(email=email))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "An account with this e-mail already exists." in page
    assert 'value="Ada Lovelace"' in page
    assert user_count() == 1


def test_stored_password_is_an_scrypt_hash(make):
    user = member(make)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_login_redirects_home(client, make):
    user = member(make)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert (response.status_code, location(response)) == (302, "/")
    assert client.get("/auth/profile").status_code == 200


def test_login_ignores_e_mail_case(client, make):
    member(make, email="mixed@example.org")
    assert client.post("/auth/login", data={"email": "MIXED@Example.Org", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("email", ["known@example.org", "unknown@example.org"])
def test_login_failure_says_wrong_e_mail_or_password(client, make, email):
    member(make, email="known@example.org")
    response = client.post("/auth/login", data={"email": email, "password": "not the password"})
    assert response.status_code == 422
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302


def test_inactive_user_cannot_log_in(client, make):
    user = member(make)
    user.active = False
    db.session.commit()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_login_follows_a_local_next(client, make):
    user = member(make)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "next": "/auth/profile?tab=password"})
    assert response.headers["Location"] == "/auth/profile?tab=password"


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", " //evil.example"])
def test_login_does_not_follow_a_foreign_next(client, make, target):
    user = member(make)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_login_page_carries_next_into_the_form(client):
    page = client.get("/auth/login?next=/auth/profile").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/auth/profile"' in page


def test_login_starts_a_fresh_session_keeping_only_the_language(client, make):
    user = member(make)
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["lang"] = "en"
    before = client.get_cookie("session").value
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "en"
        assert session["_user_id"] == f"{user.id}:{user.session_token}"


def test_logout_needs_post(client, make, login_as):
    login_as(member(make))
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/auth/profile").status_code == 200


def test_logout_ends_the_session(client, make, login_as):
    login_as(member(make))
    assert client.post("/auth/logout").status_code == 302
    response = client.get("/auth/profile")
    assert (response.status_code, location(response)) == (302, "/auth/login")


def test_password_change_with_wrong_current_password_is_refused(client, make, login_as):
    user = member(make)
    stored = (user.password_hash, user.session_token)
    login_as(user)
    response = client.post("/auth/profile", data={"current": "wrong password!", "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(User, user.id).password_hash, user.session_token) == stored
    assert client.post("/auth/logout").status_code == 302
    login_as(user)  # the old password still works


def test_password_change_on_profile_keeps_this_session_and_ends_others(app, client, make, login_as):
    user = member(make)
    old_token = user.session_token
    other = browser(app)
    assert other.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    login_as(user)
    response = client.post("/auth/profile", data={
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token != old_token
    assert client.get("/auth/profile").status_code == 200
    assert other.get("/auth/profile").status_code == 302
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
    login_as(user, password=NEW_PASSWORD)


def test_rotated_session_token_signs_out_an_old_session_cookie(client, make, login_as):
    user = member(make)
    login_as(user)
    assert client.get("/auth/profile").status_code == 200
    accounts.change_password(user, NEW_PASSWORD)
    response = client.get("/auth/profile")
    assert (response.status_code, location(response)) == (302, "/auth/login")
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:")


def test_login_without_csrf_token_is_refused(app, tmp_path):
    settings = config.TestingConfig(instance_path=tmp_path)
    settings.WTF_CSRF_ENABLED = True
    settings.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    guarded = create_app(settings)
    guarded_client = guarded.test_client()
    assert 'name="csrf_token"' in guarded_client.get("/auth/login").get_data(as_text=True)
    response = guarded_client.post("/auth/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    with guarded.app_context():
        db.engine.dispose()


def test_language_switch_redirects_and_renders_english(app):
    reader = browser(app, language="id")
    assert '<html lang="id"' in reader.get("/auth/login").get_data(as_text=True)
    response = reader.get("/lang/en?next=/auth/login")
    assert (response.status_code, response.headers["Location"]) == (302, "/auth/login")
    assert '<html lang="en"' in reader.get("/auth/login").get_data(as_text=True)


def test_language_switch_refuses_a_foreign_next(client):
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/", "/packages", "/packages/3?tab=pledges", "/a/b#frag", "  /padded  ",
                                    "/path//double"])
def test_safe_next_accepts_local_paths(target):
    assert safe_next(target) == target.strip()


@pytest.mark.parametrize("target", [
    None, "", "   ", 42, "packages", "https://evil.example", "http://evil.example/x", "https:/evil.example",
    "//evil.example", "///evil.example", " //evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi",
    "/x\nLocation: https://evil.example", "/\t/evil.example", "/\x00"])
def test_safe_next_refuses_everything_else(target):
    assert safe_next(target) is None
