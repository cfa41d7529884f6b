"""Command-line tools: `flask --app wsgi seed`, `users create`, ..."""
import time

import click
from flask.cli import AppGroup

from app.domain import Role
from app.extensions import db
from app.services import accounts
from app.services.geometry import DEFAULT_TOLERANCE

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


LISTED = 50  # refused features listed by default: enough to see the pattern in a bad file


@click.command("import-boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), metavar="FILE.geojson")
@click.option("--tolerance", type=click.FloatRange(min=0), default=DEFAULT_TOLERANCE, metavar="DEGREES",
              help=f"Simplify within this distance in degrees (default {DEFAULT_TOLERANCE:.5f}, about 5 m); "
              "0 keeps every vertex.")
@click.option("--repair", is_flag=True, help="Make invalid polygons valid (shapely make_valid) instead of refusing.")
@click.option("--strict", is_flag=True, help="Write nothing if any feature is refused.")
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
@click.option("--list-all", is_flag=True, help=f"List every refused feature, not only the first {LISTED}.")
def import_boundaries(path, tolerance, repair, strict, dry_run, list_all):
    """Attach RW or region boundaries from a GeoJSON FeatureCollection (WGS 84 longitude/latitude).

    \b
    Features are matched by their properties (names are case-insensitive):
      kode, code or kode_wilayah  Kemendagri region code: 31.75.01.1001 (dots optional)
      rw, no_rw or nomor_rw       RW number: 7, "07" or "RW 07" (the code is then a kelurahan's)
    A feature with no RW property is the boundary of the region itself (kelurahan, kecamatan,
    kota or provinsi); one with an empty RW property is refused.

    Only Polygon and MultiPolygon inside Indonesia (lon 94-142, lat -11-7) are taken. Boundaries
    are simplified for display, and an RW's map position moves to a point inside its polygon (no
    longer approximate). Every valid feature is written in one transaction; refused ones are
    listed with their index in the file and the reason, and the command then exits with status 1.
    Re-importing the same file changes nothing.
    """
    from app.services import boundaries

    started = time.perf_counter()
    try:
        features = boundaries.read_features(path)
    except boundaries.BoundaryFileError as error:
        raise click.ClickException(str(error)) from None
    with click.progressbar(length=len(features), label="Boundaries") as bar:
        report = boundaries.import_boundaries(features, tolerance=tolerance, repair=repair, strict=strict,
                                              dry_run=dry_run, tick=lambda: bar.update(1))
    report.seconds = time.perf_counter() - started  # reading a large file is part of the wait
    _list_features("repaired", report.repaired, list_all)
    _list_features("refused", report.refused, list_all)
    if report.repairable:
        click.echo(f"{report.repairable} invalid polygon(s) could be repaired with --repair.")
    click.echo(report.line())
    if report.refused:
        click.get_current_context().exit(1)


def _list_features(what, problems, list_all):
    """`features[i]: what: reason` lines, the first LISTED of them unless `list_all`."""
    shown = problems if list_all else problems[:LISTED]
    for index, reason in shown:
        click.echo(f"features[{index}]: {what}: {reason}")
    if len(shown) < len(problems):
        click.echo(f"... and {len(problems) - len(shown):,} more {what} (--list-all lists them).")


def register(app):
    """Attach the commands to the app's CLI."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(seed)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(import_boundaries)
