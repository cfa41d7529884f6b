"""Admin pages (accounts, organisations), the `users create` command and `app.permissions.can`."""
import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from app.domain import Role
from app.extensions import db
from app.models import Organisation, User
from app.permissions import can
from tests.factories import PASSWORD

_numbers = itertools.count(1)


@pytest.fixture
def client(client):
    """The shared client, reading English so messages can be matched."""
    return client.use_language("en")


def member(make, role, **kwargs):
    """A user of `role` with a fresh address."""
    return make.user(role=role, email=f"{role}{next(_numbers)}@example.org", **kwargs)


def staff_form(**overrides):
    data = {"name": "Siti Aminah", "email": "siti@example.org", "role": "aggregator",
            "organisation_id": "0", "password": PASSWORD}
    data.update(overrides)
    return data


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email))


def user_count():
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("path", ["/admin/users", "/admin/organisations"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/login"
    assert parse_qs(target.query)["next"] == [path]


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.AGGREGATOR, Role.GOVERNMENT])
@pytest.mark.parametrize("path", ["/admin/users", "/admin/organisations"])
def test_non_admins_are_forbidden(client, make, login_as, role, path):
    login_as(member(make, role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.AGGREGATOR, Role.GOVERNMENT])
def test_non_admins_cannot_create_accounts(client, make, login_as, role):
    login_as(member(make, role))
    count = user_count()
    assert client.post("/admin/users", data=staff_form(role="government")).status_code == 403
    assert user_count() == count


@pytest.mark.parametrize("path", ["/admin/users", "/admin/organisations"])
def test_admin_sees_admin_pages(client, make, login_as, path):
    login_as(member(make, Role.ADMIN))
    assert client.get(path).status_code == 200


def test_admin_creates_an_aggregator_with_organisation(client, make, login_as):
    organisation = make.organisation(name="Yayasan Kampung Bersih")
    login_as(member(make, Role.ADMIN))
    response = client.post("/admin/users", data=staff_form(organisation_id=str(organisation.id)))
    assert response.status_code == 302
    created = user_by_email("siti@example.org")
    assert created.role == Role.AGGREGATOR
    assert created.organisation_id == organisation.id
    assert created.password_hash.startswith("scrypt:")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "siti@example.org" in page and "Yayasan Kampung Bersih" in page


def test_admin_cannot_create_an_aggregator_without_organisation(client, make, login_as):
    login_as(member(make, Role.ADMIN))
    count = user_count()
    response = client.post("/admin/users", data=staff_form(organisation_id="0"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Aggregator staff must belong to an organisation." in page
    assert 'value="siti@example.org"' in page
    assert user_by_email("siti@example.org") is None
    assert user_count() == count


def test_admin_cannot_pick_an_organisation_that_does_not_exist(client, make, login_as):
    login_as(member(make, Role.ADMIN))
    response = client.post("/admin/users", data=staff_form(organisation_id="999999"))
    assert response.status_code == 422
    assert user_by_email("siti@example.org") is None


@pytest.mark.parametrize("email", ["taken@example.org", "Taken@Example.ORG"])
def test_admin_cannot_reuse_an_e_mail(client, make, login_as, email):
    make.user(email="taken@example.org")
    login_as(member(make, Role.ADMIN))
    count = user_count()
    response = client.post("/admin/users", data=staff_form(email=email, role="government"))
    assert response.status_code == 422
    assert "An account with this e-mail already exists." in response.get_data(as_text=True)
    assert user_count() == count


def test_admin_creates_a_government_account_without_organisation(client, make, login_as):
    login_as(member(make, Role.ADMIN))
    response = client.post("/admin/users", data=staff_form(role="government"))
    assert response.status_code == 302
    created = user_by_email("siti@example.org")
    assert created.role == Role.GOVERNMENT and created.organisation_id is None


def test_admin_verifies_and_unverifies_an_organisation(client, make, login_as):
    organisation = make.organisation(kind="company", verified=False)
    login_as(member(make, Role.ADMIN))
    url = f"/admin/organisations/{organisation.id}/verify"
    assert client.post(url, data={"verified": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).verified is True
    assert client.post(url, data={"verified": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).verified is False


def test_verifying_a_missing_organisation_is_not_found(client, make, login_as):
    login_as(member(make, Role.ADMIN))
    assert client.post("/admin/organisations/999999/verify", data={"verified": "1"}).status_code == 404


@pytest.mark.parametrize("role", [Role.AGGREGATOR, Role.GOVERNMENT])
def test_non_admins_cannot_verify_organisations(client, make, login_as, role):
    organisation = make.organisation(verified=False)
    login_as(member(make, role))
    assert client.post(f"/admin/organisations/{organisation.id}/verify",
                       data={"verified": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).verified is False


def cli_create(runner, *extra, email="ops@example.org", password=PASSWORD, role="government"):
    return runner.invoke(args=["users", "create", "--email", email, "--name", "Ops Person",
                               "--role", role, "--password", password, *extra])


def test_cli_creates_a_user(runner):
    result = cli_create(runner)
    assert result.exit_code == 0, result.output
    assert "Created government ops@example.org" in result.output
    created = user_by_email("ops@example.org")
    assert created.role == Role.GOVERNMENT
    assert created.password_hash.startswith("scrypt:")


def test_cli_creates_an_aggregator_in_an_organisation(runner, make):
    organisation = make.organisation()
    db.session.commit()
    result = cli_create(runner, "--organisation", organisation.slug, role="aggregator")
    assert result.exit_code == 0, result.output
    assert user_by_email("ops@example.org").organisation_id == organisation.id


def test_cli_refuses_a_short_password(runner, english):
    result = cli_create(runner, password="too short")
    assert result.exit_code != 0
    assert "Use at least 12 characters." in result.output
    assert user_by_email("ops@example.org") is None


def test_cli_refuses_an_unknown_organisation(runner):
    result = cli_create(runner, "--organisation", "no-such-org", role="aggregator")
    assert result.exit_code != 0
    assert "No organisation with slug 'no-such-org'" in result.output
    assert user_count() == 0


def test_cli_refuses_an_aggregator_without_organisation(runner, english):
    result = cli_create(runner, role="aggregator")
    assert result.exit_code != 0
    assert "Aggregator staff must belong to an organisation." in result.output
    assert user_count() == 0


def test_cli_never_creates_an_account_that_cannot_sign_in(runner, client):
    result = cli_create(runner, email="ops@rukun.local")
    signed_in = client.post("/auth/login", data={"email": "ops@rukun.local", "password": PASSWORD})
    assert result.exit_code != 0 or signed_in.status_code == 302


def test_aggregator_manages_only_its_own_organisations_packages(make):
    own, other = make.organisation(), make.organisation()
    aggregator = make.user(role=Role.AGGREGATOR, organisation=own)
    assert can("package.manage", make.package(aggregator=own), user=aggregator)
    assert not can("package.manage", make.package(aggregator=other), user=aggregator)
    assert not can("package.manage", make.package(), user=aggregator)


def test_government_and_admin_manage_any_package(make):
    package = make.package(aggregator=make.organisation())
    for role in (Role.GOVERNMENT, Role.ADMIN):
        assert can("package.manage", package, user=make.user(role=role))


def test_collaborator_may_pledge_but_not_create_or_manage_packages(make):
    collaborator = make.user(role=Role.COLLABORATOR)
    assert can("pledge.create", user=collaborator)
    assert not can("package.create", user=collaborator)
    assert not can("package.manage", make.package(aggregator=make.organisation()), user=collaborator)


def test_only_collaborators_pledge_and_only_government_creates_packages(make):
    for role in (Role.AGGREGATOR, Role.GOVERNMENT, Role.ADMIN):
        assert not can("pledge.create", user=make.user(role=role))
    assert can("package.create", user=make.user(role=Role.GOVERNMENT))
    assert not can("package.create", user=make.user(role=Role.AGGREGATOR))


def test_anonymous_may_do_nothing(make):
    anonymous = AnonymousUserMixin()
    assert not can("admin.users", user=anonymous)
    assert not can("pledge.create", user=anonymous)
    assert not can("package.manage", make.package(), user=anonymous)


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        can("package.teleport", user=AnonymousUserMixin())
