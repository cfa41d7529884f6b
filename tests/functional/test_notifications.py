"""Notifications: who hears what, the bell, the list, and e-mail through a real local SMTP server."""
import re
import socket
import threading
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select

from app.domain import Role
from app.extensions import db
from app.models import Notification, OutboxEmail
from app.services import notifications, pledging, progress
from app.services.packages import cancel_package


@pytest.fixture
def people(make):
    org = make.organisation()
    return SimpleNamespace(
        alice=make.user(Role.COLLABORATOR), bob=make.user(Role.COLLABORATOR), carol=make.user(Role.COLLABORATOR),
        staff=make.user(Role.AGGREGATOR, organisation=org), staff2=make.user(Role.AGGREGATOR, organisation=org),
        outsider=make.user(Role.AGGREGATOR), government=make.user(Role.GOVERNMENT), org=org,
    )


def heard(*kinds):
    """{user_id: [kind, ...]} of the notifications of `kinds` (all when none are named), in order."""
    query = select(Notification.user_id, Notification.kind).order_by(Notification.id)
    result = {}
    for user_id, kind in db.session.execute(query):
        if not kinds or kind in kinds:
            result.setdefault(user_id, []).append(kind)
    return result


def queued():
    """Recipients of the queued e-mails, sorted."""
    return sorted(db.session.scalars(select(OutboxEmail.recipient)))


def test_a_new_pledge_tells_the_aggregator_staff_and_no_one_else(make, people):
    package = make.package(aggregator=people.org)
    pledge = make.pledge(package, 10_000_000, people.alice)
    assert heard() == {people.staff.id: ["pledge_created"], people.staff2.id: ["pledge_created"]}
    note = db.session.scalar(select(Notification).where(Notification.user_id == people.staff.id))
    assert (note.url, note.package_id) == (f"/pledges/{pledge.id}", package.id)
    assert people.alice.name in note.body
    assert queued() == sorted([people.staff.email, people.staff2.email])
    make.pledge(make.package(), 5_000_000, people.bob)  # no aggregator yet: nobody to tell
    assert len(heard()) == 2


def test_funding_reaches_every_live_pledger_anonymous_or_not_but_not_cancelled_ones(make, people):
    package = make.package(estimate=100_000_000, aggregator=people.org)
    mine = make.pledge(package, 10_000_000, people.carol)
    pledging.cancel_pledge(mine, people.carol)  # cancelled by herself: no notice
    secret = pledging.create_pledge(package, people.alice, 30_000_000, anonymous=True)
    make.pledge(package, 30_000_000, people.bob)
    make.pledge(package, 40_000_000, people.bob)  # two pledges, still one notice
    assert heard("package_funded") == {people.alice.id: ["package_funded"], people.bob.id: ["package_funded"]}
    assert people.carol.id not in heard()
    staff_notes = db.session.scalars(select(Notification.body).where(Notification.user_id == people.staff.id))
    assert not any(people.alice.name in body for body in staff_notes)  # anonymous stays anonymous

    pledging.confirm_received(secret, people.staff, reference="TRF-9")
    assert heard("pledge_received") == {people.alice.id: ["pledge_received"]}
    assert db.session.scalar(select(Notification.url).where(Notification.kind == "pledge_received")) == \
        f"/pledges/{secret.id}"


def test_start_progress_and_completion_reach_the_funders(make, people):
    package = make.package(estimate=100_000_000, aggregator=people.org)
    make.pledge(package, 40_000_000, people.alice)
    make.pledge(package, 60_000_000, people.bob)
    item = package.items[0]
    first = progress.submit_report(package, people.staff, package.created_at.date(), "Mulai", {item.id: 40})
    db.session.commit()
    progress.verify_report(first, people.government, package)
    db.session.commit()
    final = progress.submit_report(package, people.staff, package.created_at.date(), "Selesai", {item.id: 100},
                                   is_final=True)
    progress.verify_report(final, people.government, package)
    db.session.commit()
    expected = ["package_funded", "package_in_progress", "report_verified", "report_verified", "package_completed"]
    funders = heard(*set(expected))
    assert funders == {people.alice.id: expected, people.bob.id: expected}
    titles = db.session.scalars(select(Notification.title).where(Notification.user_id == people.alice.id,
                                                                 Notification.kind == "report_verified"))
    assert [title.rsplit(" ", 2)[-2:] for title in titles] == [["40", "%"], ["100", "%"]]
    assert queued().count(people.bob.email) == len(expected)


def test_cancellation_by_someone_else_is_told_to_the_pledger(make, people):
    package = make.package(aggregator=people.org)
    lapsed = make.pledge(package, 5_000_000, people.alice)
    make.pledge(package, 7_000_000, people.bob)
    pledging.cancel_pledge(lapsed, people.staff, reason="Tidak ditransfer")
    cancel_package(package, "RW direlokasi", actor=people.government)
    assert heard("pledge_cancelled") == {people.alice.id: ["pledge_cancelled"], people.bob.id: ["pledge_cancelled"]}
    bodies = db.session.scalars(select(Notification.body).where(Notification.kind == "pledge_cancelled")).all()
    assert "Tidak ditransfer" in bodies[0] and "RW direlokasi" in bodies[1]


def bell(html):
    """The unread count in the navbar badge, or None when there is no badge."""
    found = re.search(r'text-bg-warning">(\d+\+?)<span class="visually-hidden"> unread</span>', html)
    return found and found.group(1)


def count_notification_queries(app, client, path):
    statements = []

    def record(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def test_the_bell_counts_unread_with_one_query_and_none_for_visitors(app, client, make, people, login_as):
    client.use_language("en")
    assert count_notification_queries(app, client, "/") == []
    make.pledge(make.package(aggregator=people.org), 5_000_000, people.alice)
    login_as(people.staff)
    statements = count_notification_queries(app, client, "/")
    assert len(statements) == 1 and "count" in statements[0].lower()
    html = client.get("/").get_data(as_text=True)
    assert bell(html) == "1" and 'href="/notifications/"' in html
    db.session.add_all(Notification(user_id=people.staff.id, kind="test", title="x") for _ in range(120))
    db.session.commit()
    assert bell(client.get("/").get_data(as_text=True)) == "99+"


def test_list_open_mark_read_and_mark_all(client, make, people, login_as):
    package = make.package(estimate=100_000_000, aggregator=people.org)
    make.pledge(package, 40_000_000, people.alice)
    make.pledge(package, 60_000_000, people.bob)  # funded: alice hears; staff heard twice
    login_as(people.staff).use_language("en")
    html = client.get("/notifications/").get_data(as_text=True)
    assert html.count("list-group-item-warning") == 2 and bell(html) == "2"
    newest, older = db.session.scalars(select(Notification).where(Notification.user_id == people.staff.id)
                                       .order_by(Notification.id.desc())).all()
    assert html.index(f"/notifications/{newest.id}/open") < html.index(f"/notifications/{older.id}/open")

    response = client.post(f"/notifications/{older.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == older.url
    assert client.post(f"/notifications/{newest.id}/read").status_code == 302
    html = client.get("/notifications/").get_data(as_text=True)
    assert "list-group-item-warning" not in html and bell(html) is None

    db.session.expire_all()
    assert all(note.read_at for note in db.session.scalars(select(Notification).where(
        Notification.user_id == people.staff.id)))
    client.post("/auth/logout")
    login_as(people.alice).use_language("en")
    assert bell(client.get("/").get_data(as_text=True)) == "1"
    assert "1 notification marked as read." in client.post("/notifications/read-all", follow_redirects=True).text
    assert bell(client.get("/notifications/").get_data(as_text=True)) is None


def test_other_users_notifications_are_not_found(client, make, people, login_as):
    make.pledge(make.package(aggregator=people.org), 5_000_000, people.alice)
    note = db.session.scalar(select(Notification).where(Notification.user_id == people.staff.id))
    login_as(people.outsider)
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302
    assert "Paket uji" not in client.get("/notifications/").get_data(as_text=True)
    db.session.refresh(note)
    assert note.read_at is None
    assert client.post("/notifications/999999/open").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications/").status_code == 302
    assert client.post("/notifications/read-all").status_code == 302


@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", None])
def test_opening_never_redirects_off_site(client, make, people, login_as, url):
    note = Notification(user_id=people.alice.id, kind="test", title="Hati-hati", url=url)
    db.session.add(note)
    db.session.commit()
    login_as(people.alice)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.headers["Location"] == "/notifications/"


def test_posts_need_the_csrf_token(app, client, people, login_as, monkeypatch):
    login_as(people.alice)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/notifications/read-all").status_code == 400


# E-mail through a real SMTP server.

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps what arrives and refuses addresses starting with 'bounce'."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app, monkeypatch):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_SENDER", "Rukun <noreply@rukun.test>")
    yield mailbox
    controller.stop()


def test_outbox_is_delivered_once_and_refusals_are_recorded(make, people, smtp, runner):
    bouncer = make.user(Role.COLLABORATOR, email="bounce@example.org")
    package = make.package(estimate=100_000_000, aggregator=people.org)
    make.pledge(package, 50_000_000, bouncer)
    pledge = make.pledge(package, 50_000_000, people.alice)
    assert len(queued()) == 6  # 2 staff × 2 pledges, 2 funders × funded

    summary = notifications.send_outbox()
    assert (summary.sent, summary.failed, summary.pending) == (5, 1, 1)
    assert sorted(m["To"] for m in smtp.messages) == sorted([people.staff.email, people.staff2.email] * 2 +
                                                             [people.alice.email])
    to_alice = next(m for m in smtp.messages if m["To"] == people.alice.email)
    assert to_alice["From"] == "Rukun <noreply@rukun.test>" and "Paket uji" in to_alice["Subject"]
    text = to_alice.get_content()
    assert people.alice.name in text and f"/packages/{package.id}" in text
    staff_texts = [m.get_content() for m in smtp.messages if m["To"] == people.staff.email]
    assert any(f"/pledges/{pledge.id}\r\n" in text for text in staff_texts)

    refused = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == bouncer.email))
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Outbox: 0 sent, 1 failed, 1 pending")
    assert len(smtp.messages) == 5  # nothing twice
    db.session.refresh(refused)
    assert refused.attempts == 2


def test_unreachable_server_leaves_the_email_pending(app, make, people, monkeypatch, runner):
    make.pledge(make.package(aggregator=people.org), 5_000_000, people.alice)
    assert "MAIL_SERVER is not set; nothing sent, 2 pending" in runner.invoke(args=["outbox", "send"]).output
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    summary = notifications.send_outbox()
    assert (summary.sent, summary.failed, summary.pending) == (0, 1, 2)  # the run stops at the first
    rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [(row.sent_at, row.attempts) for row in rows] == [(None, 1), (None, 0)]
    assert "Connection refused" in rows[0].last_error or "ConnectionRefused" in rows[0].last_error


def test_concurrent_senders_never_send_an_email_twice(app, smtp):
    db.session.add_all(OutboxEmail(recipient=f"r{n}@example.org", subject=f"S{n}", body="b") for n in range(30))
    db.session.commit()
    start = threading.Barrier(3)
    results, errors = [], []

    def sender():
        with app.app_context():
            start.wait()
            try:
                results.append(notifications.send_outbox().sent)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sum(results) == 30
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"r{n}@example.org" for n in range(30))
    db.session.expire_all()
    assert all(row.sent_at and row.attempts == 1 for row in db.session.scalars(select(OutboxEmail)))
