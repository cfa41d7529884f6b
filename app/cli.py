"""Command-line tools: `flask --app wsgi seed`, `users create`, ..."""
import click
from flask.cli import AppGroup

from app.domain import Role
from app.extensions import db
from app.services import accounts

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([str(role) for role in Role]), default=str(Role.COLLABORATOR))
@click.option("--organisation", "organisation_slug", help="Organisation slug (required for aggregators).")
@click.password_option(help="At least 12 characters; prompted for when omitted.")
def create_user(email, name, role, organisation_slug, password):
    """Create an account of any role."""
    from sqlalchemy import select

    from app.models import Organisation

    organisation_id = None
    if organisation_slug:
        organisation_id = db.session.scalar(select(Organisation.id).where(Organisation.slug == organisation_slug))
        if organisation_id is None:
            raise click.ClickException(f"No organisation with slug {organisation_slug!r}.")
    try:
        user = accounts.create_user(accounts.NewUser(
            email=email, password=password, name=name, role=role, organisation_id=organisation_id,
        ))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


tokens_cli = AppGroup("tokens", help="Personal API tokens.")


@tokens_cli.command("create")
@click.option("--email", required=True, help="The account the token acts for.")
@click.option("--name", required=True, help="What will use the token.")
def create_token(email, name):
    """Create a token and print it once (only its digest is stored)."""
    from sqlalchemy import select

    from app.models import User
    from app.services import tokens

    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account with e-mail {email!r}.")
    try:
        plain, token = tokens.create_token(user, name)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Token {token.name!r} for {user.email} (shown once, keep it secret):")
    click.echo(plain)


@click.command("seed")
@click.option("--synthetic", type=click.IntRange(min=1), default=None, metavar="N",
              help="Instead of the demo, add N synthetic RWs with packages and ~10 pledges each.")
@click.option("--if-empty", is_flag=True, help="Seed the demo only when the database has no regions yet.")
@click.option("--random-seed", type=int, default=2021, show_default=True, help="For --synthetic.")
def seed(synthetic, if_empty, random_seed):
    """Load the Jakarta demo (idempotent), or a national-scale synthetic data set."""
    if synthetic:
        from seeds.synthetic import SyntheticSeedError, seed_synthetic

        try:
            summary = seed_synthetic(synthetic, random_seed=random_seed, progress=True)
        except SyntheticSeedError as error:
            raise click.ClickException(str(error)) from None
        click.echo(summary.line())
        return
    from seeds.demo import database_is_empty, seed_demo

    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo seed skipped.")
        return
    summary = seed_demo(progress=True)
    click.echo(summary.line())
    click.echo("Demo logins:")
    for role, email, password in summary.logins:
        click.echo(f"  {role:<13} {email:<32} {password}")


outbox_cli = AppGroup("outbox", help="The e-mail outbox.")


@outbox_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many e-mails in this run.")
def send_outbox(limit):
    """Send pending e-mails through MAIL_SERVER (run it from cron); prints a one-line summary."""
    from app.services import notifications

    click.echo(notifications.send_outbox(limit).line())


def register(app):
    """Attach the commands to the app's CLI."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(seed)
    app.cli.add_command(outbox_cli)
