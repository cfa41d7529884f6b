"""The dashboard's two decision tables as CSV: per region (severe RWs without funding first) and per
aggregator (delivery and how far behind schedule), with the dashboard's own filters and figures."""
import csv
import io

from app.services.csv_export import safe_cell

TABLES = {
    "regions": ("code", "name", "rws", "severe", "severe_unfunded", "packages", "need", "committed", "committed_pct",
                "received", "spent", "progress_pct"),
    "aggregators": ("aggregator", "packages", "active", "completed", "estimate", "received", "spent", "progress_pct",
                    "reports_overdue", "past_planned_end", "behind_schedule_pp", "completed_dated", "on_time_pct"),
}


def _regions(board):
    return ([row.code, safe_cell(row.name), row.rws, row.severe, row.severe_unfunded, row.packages, row.estimate,
             row.committed, row.committed_pct, row.received, row.spent, row.progress_pct] for row in board.regions)


def _aggregators(board):
    return ([safe_cell(row.name), row.packages, row.active, row.completed, row.estimate, row.received, row.spent,
             row.progress_pct, row.overdue_reports, row.late, row.schedule_lag, row.completed_dated, row.on_time_pct]
            for row in board.aggregators)


def table_csv(board, table):
    """One of TABLES as CSV text: a header, then a row per region or aggregator (money in whole rupiah)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TABLES[table])
    writer.writerows(_regions(board) if table == "regions" else _aggregators(board))
    return buffer.getvalue()
