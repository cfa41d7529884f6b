"""The append-only ledger of every money and status change, and notifications."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import utcnow
from app.extensions import db


class LedgerEntry(db.Model):
    """One change: who, when, what, before → after, and its effect on the package's money.

    The deltas make every total derivable: committed = Σ committed_delta, and so on.
    Rows are only ever inserted; PostgreSQL refuses UPDATE and DELETE with a trigger.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_package_created", "package_id", "created_at"),
        Index("ix_ledger_entries_subject", "subject_type", "subject_id"),
        Index("ix_ledger_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    before: Mapped[str | None] = mapped_column(String(40))
    after: Mapped[str | None] = mapped_column(String(40))
    committed_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    received_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped["User | None"] = relationship()  # noqa: F821


class LedgerMonth(db.Model):
    """Money moved per package and Jakarta month: the ledger's money entries summed, so the dashboard's series
    reads one row per package and month instead of every entry.

    Database triggers keep it (installed by the migration that created it, for every writer including bulk
    loads), in the same statement as the entries: only an entry's own package's row changes, and writers
    already hold that package's row lock, so no new lock order appears.
    """

    __tablename__ = "ledger_months"

    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM in Jakarta time
    committed: Mapped[int] = mapped_column(BigInteger, default=0)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)


class Notification(db.Model):
    """An in-app message to one user."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class OutboxEmail(db.Model):
    """E-mail waiting to be sent when SMTP is configured; sent rows keep their timestamp."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_pending", "sent_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
