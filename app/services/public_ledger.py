"""The public ledger: every money and status change of public packages, filtered, paged and exported.

People appear only as the public may see them: a pledge entry names the pledger (the company for company
collaborators, else the person) or "Anonymous", and an anonymous pledge's free-text reason is withheld as
it may name them; staff show their organisation; any other action of a collaborator (the pledge that funds
a package) shows "A collaborator", so side effects cannot unmask anyone. Names are chosen in SQL, so hidden
ones never leave the database and the text search matches only what is shown; e-mails and user ids are
never selected. Filter dates are Asia/Jakarta calendar days (UTC+7, no daylight saving; entries are
stored in UTC). A page costs three queries at any size: count with Σ deltas, the rows, the kota choices.
"""
import csv
import io
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, func, null, or_, select, true
from sqlalchemy.orm import aliased

from app.domain import (
    LEDGER_ACTION_LABELS,
    PACKAGE_STATUS_LABELS,
    PLEDGE_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    ROLE_LABELS,
    Role,
)
from app.extensions import db
from app.models import RW, LedgerEntry, Organisation, Package, Pledge, Region, User
from app.money import rupiah
from app.services import query_args, stats
from app.services.catalogue import visible_clause
from app.services.csv_export import JAKARTA_OFFSET, safe_cell

ACTOR_KINDS = {"collaborator": _l("Collaborators"), "aggregator": _l("Aggregators"), "government": _l("Government"),
               "admin": _l("Administrators"), "system": _l("Automatic")}
STAFF = ("aggregator", "government", "admin")
DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH = 50, 200, 100
FILTER_PARAMS = ("package", "kota", "action", "actor", "date_from", "date_to", "q")

Actor = aliased(User, name="actor")
ActorOrg = aliased(Organisation, name="actor_org")
Pledger = aliased(User, name="pledger")
PledgerOrg = aliased(Organisation, name="pledger_org")
Kelurahan = aliased(Region, name="kelurahan")

IS_PLEDGE = LedgerEntry.subject_type == Pledge.__tablename__
ANONYMOUS = and_(IS_PLEDGE, Pledge.anonymous == true())
PLEDGER_NAME = case((and_(Pledger.is_company == true(), PledgerOrg.name.is_not(None)), PledgerOrg.name),
                    else_=Pledger.name)
# Who the entry is about, as the public may see it; NULL means "Anonymous" or a label chosen below.
WHO = case((ANONYMOUS, null()), (IS_PLEDGE, PLEDGER_NAME), (Actor.role == Role.COLLABORATOR, null()),
           else_=ActorOrg.name)
# The staff organisation acting on someone's pledge (e.g. the aggregator confirming receipt).
BY = case((and_(IS_PLEDGE, Actor.role.in_(STAFF)), ActorOrg.name), else_=null())
REASON = case((ANONYMOUS, null()), else_=LedgerEntry.reason)
WITHHELD = case((and_(ANONYMOUS, LedgerEntry.reason.is_not(None)), 1), else_=0)


@dataclass(frozen=True)
class Filters:
    """A validated public-ledger query."""

    package: int | None = None
    kota: str | None = None
    action: str | None = None
    actor: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def args(self, **changes):
        """URL query arguments for these filters with `changes` applied (None removes a key)."""
        values = {name: getattr(self, name) for name in (*FILTER_PARAMS, "page", "per_page")} | changes
        defaults = Filters()
        return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()
                if value not in (None, "") and value != getattr(defaults, key)}


def parse_filters(args):
    """Validate query arguments into (Filters, errors); errors map parameter → message, bad values are dropped."""
    errors, values = {}, {}
    numbers = (("package", 1, 2**31 - 1), ("page", 1, 1_000_000), ("per_page", 1, MAX_PER_PAGE))
    query_args.whole_numbers(args, numbers, errors, values)
    query_args.region_code(args, "kota", errors, values)
    for name, allowed in (("action", LEDGER_ACTION_LABELS), ("actor", ACTOR_KINDS)):
        raw = (args.get(name) or "").strip()
        if raw and raw not in allowed:
            errors[name] = _l("Choose one of: %(choices)s.", choices=", ".join(allowed))
        elif raw:
            values[name] = raw
    for name in ("date_from", "date_to"):
        try:
            if (args.get(name) or "").strip():
                values[name] = date.fromisoformat(args[name].strip())
        except ValueError:
            errors[name] = _l("Use a date such as 2024-05-31.")
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors["date_to"] = _l("The end date comes before the start date.")
        del values["date_to"]
    query = (args.get("q") or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        errors["q"] = _l("Use at most %(n)d characters.", n=MAX_QUERY_LENGTH)
    elif query:
        values["q"] = query
    return Filters(**values), errors


# One public ledger line: money in integer rupiah; `who`/`by` are public names or labels, never people's ids.
Row = namedtuple("Row", "id created_at action what package_id package_title rw committed received spent before "
                        "after who by reason reason_withheld")


# Count and Σ deltas of every row the filters match (not just the page).
Totals = namedtuple("Totals", "entries committed received spent")


@dataclass
class Page:
    """A page of rows, the totals of the whole filtered ledger, and the kota choices for the form."""

    filters: Filters
    rows: list
    totals: Totals
    kotas: list

    @property
    def pages(self):
        """Number of pages."""
        return max(1, -(-self.totals.entries // self.filters.per_page))


def _people(query):
    """Outer-join who acted and, for pledge entries, the pledge and its pledger (with organisations)."""
    return (
        query.outerjoin(Actor, Actor.id == LedgerEntry.actor_id)
        .outerjoin(ActorOrg, ActorOrg.id == Actor.organisation_id)
        .outerjoin(Pledge, and_(IS_PLEDGE, Pledge.id == LedgerEntry.subject_id))
        .outerjoin(Pledger, Pledger.id == Pledge.collaborator_id)
        .outerjoin(PledgerOrg, PledgerOrg.id == Pledger.organisation_id)
    )


def _matching(filters, *columns):
    """SELECT `columns` over the entries of public packages that the filters match (the people joins
    only when a filter needs them, so counting and paging stay lean)."""
    query = select(*columns).select_from(LedgerEntry).join(Package, Package.id == LedgerEntry.package_id)
    return (_people(query) if filters.actor or filters.q else query).where(_where(filters))


def _where(filters):
    """The filters as one SQL condition."""
    clauses = [visible_clause()]
    if filters.package:
        clauses.append(LedgerEntry.package_id == filters.package)
    if filters.kota:
        kota_id = select(Region.id).where(Region.code == filters.kota).scalar_subquery()
        clauses.append(Package.rw_id.in_(select(RW.id).where(RW.kota_id == kota_id)))
    if filters.action:
        clauses.append(LedgerEntry.action == filters.action)
    if filters.actor:
        clauses.append(LedgerEntry.actor_id.is_(None) if filters.actor == "system" else Actor.role == filters.actor)
    if filters.date_from:
        clauses.append(LedgerEntry.created_at >= _utc_start(filters.date_from))
    if filters.date_to:
        clauses.append(LedgerEntry.created_at < _utc_start(filters.date_to + timedelta(days=1)))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "").replace("%", "").replace("_", "") + "%"
        clauses.append(or_(Package.title.ilike(pattern), WHO.ilike(pattern), BY.ilike(pattern)))
    return and_(*clauses)


def _utc_start(day):
    """Midnight of a Jakarta calendar day as the naive UTC time entries are stored in."""
    return datetime.combine(day, datetime.min.time()) - JAKARTA_OFFSET


def _rows_query(ids):
    """The rows whose ids `ids` selects, columns in the order `_row` unpacks them. Filtering, ordering
    and paging happen in `ids`, on the lean join, so the display joins run for the chosen rows only."""
    columns = (
        LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.action, LedgerEntry.package_id, Package.title, RW.number,
        Kelurahan.name, LedgerEntry.committed_delta, LedgerEntry.received_delta, LedgerEntry.spent_delta,
        LedgerEntry.before, LedgerEntry.after, _assigned_name(LedgerEntry.before),
        _assigned_name(LedgerEntry.after), WHO, BY, REASON, WITHHELD,
        case((ANONYMOUS, 1), else_=0), case((IS_PLEDGE, 1), else_=0), Actor.role,
    )
    chosen = ids.subquery("chosen")
    query = (select(*columns).select_from(chosen).join(LedgerEntry, LedgerEntry.id == chosen.c.id)
             .join(Package, Package.id == LedgerEntry.package_id).join(RW, RW.id == Package.rw_id)
             .join(Kelurahan, Kelurahan.id == RW.kelurahan_id))
    return _people(query)


def _assigned_name(column):
    """package.assigned keeps organisation ids in before/after: their names, looked up (as text, so no odd
    value can fail) only on those rows, inside the same statement."""
    name = select(Organisation.name).where(cast(Organisation.id, String(40)) == column).scalar_subquery()
    return case((LedgerEntry.action == "package.assigned", name))


def _words():
    """Every label a row may need, translated once per call (not per row: lazy strings are slow)."""
    states = {"package": PACKAGE_STATUS_LABELS, "pledge": PLEDGE_STATUS_LABELS, "report": REPORT_STATUS_LABELS}
    return {"actions": {key: str(label) for key, label in LEDGER_ACTION_LABELS.items()},
            "states": {kind: {key: str(label) for key, label in labels.items()} for kind, labels in states.items()},
            "roles": {str(key): str(label) for key, label in ROLE_LABELS.items()}, "anonymous": str(_l("Anonymous")),
            "automatic": str(_l("Automatic")), "collaborator": str(_l("A collaborator"))}


def _state_label(action, value, organisation, words):
    """before/after in words: status labels, rupiah for estimates, organisation names."""
    if value is None:
        return None
    if action == "package.assigned":
        return organisation or "–"
    if action == "package.revised" and value.isascii() and value.isdigit():
        return rupiah(int(value))
    return words["states"].get(action.split(".")[0], {}).get(value, value)


def _row(r, words):
    """A result row as a Row, choosing the label where no public name may be shown."""
    (id_, created_at, action, package_id, title, rw_number, kelurahan, committed, received, spent, before, after,
     org_before, org_after, who, by, reason, withheld, anonymous, is_pledge, role) = r
    if is_pledge:
        who = words["anonymous"] if anonymous else who
        by = by or (words["roles"].get(role) if role in STAFF else None)
    elif role is None:
        who = words["automatic"]
    elif role == "collaborator":
        who = words["collaborator"]
    else:
        who = who or words["roles"].get(role)
    return Row(id_, created_at, action, words["actions"].get(action, action), package_id, title,
               f"RW {rw_number:02d} {kelurahan}", int(committed), int(received), int(spent),
               _state_label(action, before, org_before, words), _state_label(action, after, org_after, words),
               who, by, reason, bool(withheld))


def totals(filters):
    """Count and Σ committed/received/spent deltas of every entry the filters match, in one SQL query."""
    row = db.session.execute(_matching(
        filters, func.count(LedgerEntry.id), func.coalesce(func.sum(LedgerEntry.committed_delta), 0),
        func.coalesce(func.sum(LedgerEntry.received_delta), 0), func.coalesce(func.sum(LedgerEntry.spent_delta), 0),
    )).one()
    return Totals(*(int(value) for value in row))


def page(filters):
    """One page of the public ledger, newest first, with the totals of the whole filtered ledger."""
    ids = (_matching(filters, LedgerEntry.id).order_by(LedgerEntry.id.desc())
           .limit(filters.per_page).offset((filters.page - 1) * filters.per_page))
    query = _rows_query(ids).order_by(LedgerEntry.id.desc())
    words = _words()
    rows = [_row(r, words) for r in db.session.execute(query)]
    return Page(filters=filters, rows=rows, totals=totals(filters), kotas=stats.kotas_with_rws())


def package_entries(package_id, actions):
    """One package's entries whose action is in `actions`, oldest first, as Rows (one query)."""
    ids = select(LedgerEntry.id).where(LedgerEntry.package_id == package_id, LedgerEntry.action.in_(actions))
    words = _words()
    query = _rows_query(ids).order_by(LedgerEntry.created_at, LedgerEntry.id)
    return [_row(r, words) for r in db.session.execute(query)]


def batches(filters, batch_size=1000):
    """Every matching row, oldest first, as lists fetched by keyset (id > last) so memory stays flat."""
    last_id, words = 0, _words()
    while True:
        batch = db.session.execute(
            _rows_query(_matching(filters, LedgerEntry.id).where(LedgerEntry.id > last_id)
                        .order_by(LedgerEntry.id).limit(batch_size)).order_by(LedgerEntry.id)
        ).all()
        if batch:
            yield [_row(r, words) for r in batch]
        if len(batch) < batch_size:
            return
        last_id = batch[-1].id


CSV_COLUMNS = ("id", "created_at_utc", "action", "what", "package_id", "package_title", "rw", "committed_delta",
               "received_delta", "spent_delta", "before", "after", "who", "by", "reason")


def csv_chunks(filters, batch_size=1000):
    """The filtered ledger as CSV text: the header, then one chunk per batch; money in integer rupiah."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    withheld = str(_l("withheld (anonymous pledge)"))
    for batch in batches(filters, batch_size):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([
            row.id, row.created_at.isoformat(timespec="seconds"), row.action, row.what, row.package_id,
            safe_cell(row.package_title), row.rw, row.committed, row.received, row.spent, safe_cell(row.before),
            safe_cell(row.after), safe_cell(row.who), safe_cell(row.by),
            withheld if row.reason_withheld else safe_cell(row.reason),
        ] for row in batch)
        yield buffer.getvalue()

