"""Bulk loading for large seeds: ids allocated up front, COPY on PostgreSQL, executemany on SQLite.

The ORM's unit of work is far too slow for a million rows; these helpers write rows as tuples
in the column order given, and keep PostgreSQL's id sequences in step afterwards.
"""
from sqlalchemy import func, select, text

from app.extensions import db


class IdAllocator:
    """Hands out primary keys above the table's current maximum."""

    def __init__(self, table):
        self.table = table
        self.next_id = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1

    def take(self, count):
        """A range of `count` fresh ids."""
        start = self.next_id
        self.next_id += count
        return range(start, start + count)


def _pg_value(value):
    """COPY takes Python values through psycopg; dicts (JSON) go as text."""
    if isinstance(value, dict):
        import json

        return json.dumps(value)
    return value


def insert_rows(table, columns, rows):
    """Insert tuples into `table` (a sqlalchemy Table) in the current transaction."""
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_pg_value(value) for value in row])
    else:
        placeholders = ", ".join("?" for _ in columns)
        raw = connection.connection.driver_connection
        raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 names are ours  # nosec B608
            [tuple(_sqlite_value(value) for value in row) for row in rows],
        )
    return len(rows)


def _sqlite_value(value):
    """sqlite3 stores datetimes as ISO text the way SQLAlchemy reads them back; dicts as JSON."""
    if isinstance(value, dict):
        import json

        return json.dumps(value)
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # as SQLAlchemy writes it
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def sync_sequences(tables):
    """After explicit ids on PostgreSQL, move each id sequence past the maximum id."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 names are ours  # nosec B608
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        ))


def tune_for_bulk_load():
    """On SQLite, a large page cache for this connection: index inserts into big B-trees otherwise
    spill the default 2 MB cache and the load slows down as the tables grow."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB
        connection.exec_driver_sql("PRAGMA temp_store = MEMORY")


def analyze():
    """Refresh planner statistics after a bulk load."""
    connection = db.session.connection()
    connection.execute(text("ANALYZE"))
