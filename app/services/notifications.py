"""Notifications: who hears about what, in the app and by e-mail through an outbox.

Receivers are connected to the domain events (app/events.py) and run inside the sender's
transaction, so a notification exists exactly when the change it announces is committed.
Texts are rendered once, in the default locale, when the event happens. E-mail is only
queued here; `send_outbox` (the `flask outbox send` command, run from cron) delivers it.
"""
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, insert, select, update

from app import events
from app.db_types import utcnow
from app.domain import PackageStatus, PledgeStatus, Role
from app.extensions import db
from app.models import Notification, OutboxEmail, Pledge, User
from app.money import rupiah

PAGE_SIZE = 20
BADGE_CAP = 100  # the bell shows "99+"; counting further would only cost time
MAX_ATTEMPTS = 5  # after this many failures an e-mail stays pending for a person to look at
SMTP_TIMEOUT = 20

MESSAGES = {
    "pledge_created": (_l("New pledge on “%(package)s”"),
                       _l("%(who)s pledged %(amount)s to “%(package)s”. Confirm it once the money arrives.")),
    "pledge_received": (_l("Your pledge to “%(package)s” was received"),
                        _l("The aggregator confirmed that your %(amount)s for “%(package)s” arrived. Thank you.")),
    "pledge_cancelled": (_l("Your pledge to “%(package)s” was cancelled"),
                         _l("Your pledge of %(amount)s to “%(package)s” was cancelled. Reason: %(reason)s")),
    "package_funded": (_l("“%(package)s” is fully funded"),
                       _l("Pledges now cover the whole cost of “%(package)s”. The aggregator can start the work.")),
    "package_in_progress": (_l("Work has started on “%(package)s”"),
                            _l("The aggregator reported the first progress on “%(package)s”, which you fund.")),
    "package_completed": (_l("“%(package)s” is completed"),
                          _l("The final progress report on “%(package)s” was verified: the work is done.")),
    "report_verified": (_l("Progress on “%(package)s”: %(progress)s"),
                        _l("A progress report was verified: “%(package)s” is now %(progress)s complete.")),
    "report_rejected": (_l("Progress report on “%(package)s” rejected"),
                        _l("Government rejected the progress report of %(date)s on “%(package)s”. Reason: %(reason)s")),
}
STATUS_KINDS = {
    PackageStatus.FUNDED: "package_funded",
    PackageStatus.IN_PROGRESS: "package_in_progress",
    PackageStatus.COMPLETED: "package_completed",
}


def register(app):
    """Connect the receivers to the domain events and give templates `unread_notifications()`."""
    events.pledge_created.connect(_on_pledge_created)
    events.pledge_received.connect(_on_pledge_received)
    events.pledge_cancelled.connect(_on_pledge_cancelled)
    events.package_status_changed.connect(_on_package_status_changed)
    events.report_verified.connect(_on_report_verified)
    events.report_rejected.connect(_on_report_rejected)
    app.context_processor(lambda: {"unread_notifications": _unread_for_current_user})


# Receivers: one query for the recipients, one INSERT each for notifications and e-mails.
# Links are paths (services know no request): the package page, or the pledge's own page.

def _on_pledge_created(pledge, actor=None, **_extra):
    package = pledge.package
    if package.aggregator_id is None:
        return
    staff = _active_users().where(User.organisation_id == package.aggregator_id, User.role == Role.AGGREGATOR)
    who = _l("An anonymous collaborator") if pledge.anonymous else pledge.collaborator.name
    _notify(staff, "pledge_created", package, f"/pledges/{pledge.id}", who=who, amount=rupiah(pledge.amount))


def _on_pledge_received(pledge, actor=None, **_extra):
    _notify(_active_users().where(User.id == pledge.collaborator_id), "pledge_received", pledge.package,
            f"/pledges/{pledge.id}", amount=rupiah(pledge.amount))


def _on_pledge_cancelled(pledge, actor=None, reason=None, **_extra):
    if actor is not None and actor.id == pledge.collaborator_id:
        return  # they did it themselves
    _notify(_active_users().where(User.id == pledge.collaborator_id), "pledge_cancelled", pledge.package,
            f"/pledges/{pledge.id}", amount=rupiah(pledge.amount), reason=reason or "–")


def _on_package_status_changed(package, actor=None, before=None, after=None, **_extra):
    kind = STATUS_KINDS.get(after)
    if kind:
        _notify(_funders(package.id), kind, package, f"/packages/{package.id}")


def _on_report_verified(report, actor=None, package=None, **_extra):
    _notify(_funders(package.id), "report_verified", package, f"/packages/{package.id}",
            progress=f"{package.progress_pct} %")


def _on_report_rejected(report, actor=None, package=None, reason=None, **_extra):
    staff = _active_users().where(User.organisation_id == package.aggregator_id, User.role == Role.AGGREGATOR)
    _notify(staff, "report_rejected", package, f"/manage/reports/{report.id}",
            date=report.report_date.isoformat(), reason=reason or "–")


def _active_users():
    return select(User.id, User.name, User.email).where(User.active.is_(True))


def _funders(package_id):
    """Everyone with a pledge on the package that was not cancelled (anonymous ones too)."""
    pledgers = select(Pledge.collaborator_id).where(Pledge.package_id == package_id,
                                                    Pledge.status != PledgeStatus.CANCELLED)
    return _active_users().where(User.id.in_(pledgers))


def _notify(recipients, kind, package, url, **params):
    """A Notification and a queued e-mail for every recipient of `kind` about `package`."""
    rows = db.session.execute(recipients).all()
    if not rows:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        params = {key: str(value) for key, value in dict(params, package=package.title).items()}
        title = _clip(" ".join((str(MESSAGES[kind][0]) % params).split()), 200)  # one line, fits the column
        body = str(MESSAGES[kind][1]) % params
        greeting = str(_l("Hello %(name)s,"))
        link = str(_l("Open it in Rukun: %(url)s")) % {"url": _absolute(url)}
        footer = str(_l("You receive this e-mail because you take part in this package on Rukun."))
    now = utcnow()
    db.session.execute(insert(Notification), [
        {"user_id": row.id, "kind": kind, "package_id": package.id, "title": title, "body": body, "url": url,
         "created_at": now} for row in rows
    ])
    db.session.execute(insert(OutboxEmail), [
        {"recipient": row.email, "subject": title, "created_at": now,
         "body": f"{greeting % {'name': row.name}}\n\n{body}\n\n{link}\n\n-- \n{footer}\n"} for row in rows
    ])


def _clip(text, length):
    return text if len(text) <= length else text[:length - 1] + "…"


def _absolute(path):
    """A link for e-mail: absolute when PUBLIC_URL is configured, otherwise the path."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}{path}" if base else path


# The in-app list.

def unread_count(user_id):
    """Unread notifications of a user, counted up to BADGE_CAP (one COUNT query)."""
    unread = select(Notification.id).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(unread.limit(BADGE_CAP).subquery()))


def _unread_for_current_user():
    """For the navbar bell: no query for anonymous visitors, at most one per request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user.id)
    return g.unread_notifications


def page_for(user, page=1):
    """The user's notifications, newest first, one page."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def get(notification_id):
    """One notification, or None."""
    return db.session.get(Notification, notification_id)


def mark_read(notification):
    """Mark one notification read (the first reading time is kept); commits."""
    _mark_read(Notification.id == notification.id)


def mark_all_read(user):
    """Mark every unread notification of `user` read; commits; returns how many."""
    return _mark_read(Notification.user_id == user.id)


def _mark_read(which):
    result = db.session.execute(
        update(Notification).where(which, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# Sending the outbox.

@dataclass
class SendSummary:
    """What one `send_outbox` run did."""

    configured: bool
    sent: int = 0
    failed: int = 0
    pending: int = 0
    given_up: int = 0

    def line(self):
        """One line for the CLI."""
        if not self.configured:
            return f"Outbox: MAIL_SERVER is not set; nothing sent, {self.pending} pending."
        return (f"Outbox: {self.sent} sent, {self.failed} failed, {self.pending} pending, "
                f"{self.given_up} given up after {MAX_ATTEMPTS} attempts.")


_SENDABLE = (OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
# The server refused this one message (or it could not be built); the connection is still good.
_MESSAGE_ERRORS = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, ValueError)


def send_outbox(limit=100):
    """Send up to `limit` pending e-mails through MAIL_SERVER; commits after each e-mail.

    Each e-mail is claimed before it is sent, so concurrent senders never send one twice.
    A refused message is recorded (attempts, last_error) and the run goes on; when the server
    cannot be reached the run stops, since every other e-mail would fail the same way.
    """
    config = current_app.config
    summary = SendSummary(configured=bool(config.get("MAIL_SERVER")))
    if summary.configured:
        claim = _claim_locked if db.engine.dialect.name == "postgresql" else _claim_marked
        smtp, last_id = None, 0
        try:
            while summary.sent + summary.failed < limit and (email := claim(last_id)) is not None:
                last_id = email.id
                try:
                    smtp = smtp or smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT)
                except OSError as error:
                    _finish(email, error)
                    summary.failed += 1
                    break
                try:
                    smtp.send_message(_message(email, config["MAIL_SENDER"]))
                except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
                    _finish(email, error)
                    summary.failed += 1
                    if not isinstance(error, _MESSAGE_ERRORS):  # the connection itself broke: reconnect
                        _quit(smtp)
                        smtp = None
                else:
                    _finish(email)
                    summary.sent += 1
        finally:
            db.session.rollback()  # releases a claim left open by an unexpected error
            _quit(smtp)
    summary.pending, summary.given_up = db.session.execute(
        select(func.count().filter(OutboxEmail.attempts < MAX_ATTEMPTS),
               func.count().filter(OutboxEmail.attempts >= MAX_ATTEMPTS)).where(OutboxEmail.sent_at.is_(None))
    ).one()
    return summary


def _claim_locked(after_id):
    """PostgreSQL: lock the next pending e-mail until _finish commits; other senders skip it."""
    email = db.session.scalars(
        select(OutboxEmail).where(*_SENDABLE, OutboxEmail.id > after_id).order_by(OutboxEmail.id).limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if email is not None:
        email.attempts += 1
    return email


def _claim_marked(after_id):
    """SQLite (no row locks): a conditional UPDATE marks the e-mail taken; one sender's UPDATE matches.

    The mark is `sent_at` itself, undone by _finish when sending fails: a sender that dies
    between the mark and the send loses that e-mail rather than ever sending it twice.
    """
    while True:
        email_id = db.session.scalar(
            select(OutboxEmail.id).where(*_SENDABLE, OutboxEmail.id > after_id).order_by(OutboxEmail.id).limit(1)
        )
        if email_id is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id, *_SENDABLE)
            .values(sent_at=utcnow(), attempts=OutboxEmail.attempts + 1).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(OutboxEmail, email_id, populate_existing=True)
        after_id = email_id  # another sender took it


def _finish(email, error=None):
    """Record the outcome of one attempt and end the claim; commits."""
    if error is None:
        email.sent_at = utcnow()
    else:
        email.sent_at = None
        email.last_error = _clip(f"{type(error).__name__}: {error}", 1000)
    db.session.commit()


def _message(email, sender):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message.set_content(email.body)
    return message


def _quit(smtp):
    if smtp is None:
        return
    try:
        smtp.quit()
    except OSError:
        smtp.close()  # already broken: just drop the socket
