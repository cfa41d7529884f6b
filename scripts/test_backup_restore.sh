#!/usr/bin/env bash
# A backup and a restore, tested: seed a scratch database (the Jakarta demo, with its progress photos, plus a
# synthetic catalogue), back it up with scripts/backup.sh, restore it with scripts/restore.sh into another
# fresh database and folder, and compare the two: every table's row count and contents, the money totals,
# the sequences, the triggers (the ledger still refuses UPDATE), the books as the app checks them, and every
# upload file byte for byte. Exits 1 on any difference. Both scratch databases are dropped at the end.
#
# Usage: scripts/test_backup_restore.sh   (PostgreSQL server: $BACKUP_TEST_SERVER, default
#        postgresql://postgres@127.0.0.1:5432; synthetic RWs: $BACKUP_TEST_SYNTHETIC, default 2000, 0 for none)
set -euo pipefail
cd "$(dirname "$0")/.."

server=${BACKUP_TEST_SERVER:-postgresql://postgres@127.0.0.1:5432}
synthetic=${BACKUP_TEST_SYNTHETIC:-2000}
src=rukun_backup_src_$$
dst=rukun_backup_dst_$$
work=$(mktemp -d -t rukun-backup-test-XXXXXX)
flask=(.venv/bin/flask --app wsgi)
sql() { psql --no-psqlrc -Atq -v ON_ERROR_STOP=1 -d "$server/$1" -c "$2"; }
cleanup() {
    for name in "$src" "$dst"; do sql postgres "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== seeding $src (demo with photos, $synthetic synthetic RWs)"
sql postgres "CREATE DATABASE $src"
export RUKUN_INSTANCE_PATH="$work/instance"
DATABASE_URL="$server/$src" UPLOAD_FOLDER="$work/uploads-src" "${flask[@]}" db upgrade 2>/dev/null
DATABASE_URL="$server/$src" UPLOAD_FOLDER="$work/uploads-src" "${flask[@]}" seed | grep -B1 '^Demo logins' | head -1
if [ "$synthetic" -gt 0 ]; then
    DATABASE_URL="$server/$src" "${flask[@]}" seed --synthetic "$synthetic" | tail -1
fi

echo "== backing up"
started=$(date +%s%N)
DATABASE_URL="$server/$src" UPLOAD_FOLDER="$work/uploads-src" scripts/backup.sh "$work/backups" > "$work/paths"
backup_ms=$(( ($(date +%s%N) - started) / 1000000 ))
dump=$(head -1 "$work/paths")
ls -l "$work/backups" | tail -n +2

echo "== restoring into $dst"
sql postgres "CREATE DATABASE $dst"
started=$(date +%s%N)
DATABASE_URL="$server/$dst" UPLOAD_FOLDER="$work/uploads-dst" scripts/restore.sh "$dump"
restore_ms=$(( ($(date +%s%N) - started) / 1000000 ))
refused=0
DATABASE_URL="$server/$dst" UPLOAD_FOLDER="$work/uploads-dst" scripts/restore.sh "$dump" 2>/dev/null || refused=$?
[ "$refused" -eq 3 ] || { echo "restore.sh did not refuse a database that has tables (exit $refused)"; exit 1; }

echo "== comparing"
# One line per fact; the two databases must give the same lines.
fingerprint() {
    local db=$1 table
    for table in $(sql "$db" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
        sql "$db" "SELECT '$table rows ' || count(*) || ' md5 ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-')
                   FROM $table t"
    done
    sql "$db" "SELECT 'packages estimate ' || sum(estimate) || ' committed ' || sum(committed) || ' received '
               || sum(received) || ' spent ' || sum(spent) FROM packages"
    sql "$db" "SELECT 'pledges ' || status || ' ' || count(*) || ' Rp ' || sum(amount) FROM pledges GROUP BY status ORDER BY 1"
    sql "$db" "SELECT 'ledger committed ' || sum(committed_delta) || ' received ' || sum(received_delta) || ' spent '
               || sum(spent_delta) FROM ledger_entries"
    sql "$db" "SELECT 'expenditures ' || count(*) || ' Rp ' || coalesce(sum(amount), 0) FROM expenditures"
    sql "$db" "SELECT 'sequence ' || sequencename || ' ' || coalesce(last_value, 0) FROM pg_sequences ORDER BY 1"
    sql "$db" "SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
}
fingerprint "$src" > "$work/src.txt"
fingerprint "$dst" > "$work/dst.txt"
(cd "$work/uploads-src" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) > "$work/src-files.txt"
(cd "$work/uploads-dst" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) > "$work/dst-files.txt"
status=0
diff -u "$work/src.txt" "$work/dst.txt" || status=1
diff -u "$work/src-files.txt" "$work/dst-files.txt" || status=1

# The restored ledger is still append-only.
if sql "$dst" "UPDATE ledger_entries SET reason = 'tampered' WHERE id = (SELECT min(id) FROM ledger_entries)" \
        2> "$work/update.err" || ! grep -q "append-only" "$work/update.err"; then
    echo "the restored ledger did not refuse an UPDATE as append-only"; status=1
fi
# The app on the restored database: every package's totals equal its live pledges and its ledger.
DATABASE_URL="$server/$dst" .venv/bin/python - <<'PY' || status=1
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Package, Pledge
from app.services import ledger

with create_app().app_context():
    live = dict(db.session.execute(select(Pledge.package_id, func.sum(Pledge.amount))
                                   .where(Pledge.status != "cancelled").group_by(Pledge.package_id)).all())
    books = ledger.package_totals_from_ledger()
    rows = db.session.execute(select(Package.id, Package.estimate, Package.committed, Package.received, Package.spent))
    bad = [r.id for r in rows if r.committed > r.estimate or r.committed != live.get(r.id, 0)
           or (r.committed, r.received, r.spent) != books.get(r.id, (0, 0, 0))]
    print(f"app books on the restored database: {len(books)} packages in the ledger, {len(bad)} out of balance")
    raise SystemExit(1 if bad else 0)
PY

tables=$(grep -c ' rows ' "$work/src.txt")
rows=$(awk '/ rows /{n += $3} END {print n}' "$work/src.txt")
files=$(wc -l < "$work/src-files.txt")
size=$(du -ch "$work/backups"/*.dump "$work/backups"/*.tar.gz | tail -1 | cut -f1)
grep -E '^(packages|ledger|expenditures) ' "$work/src.txt" | grep -v ' rows '
echo "backup $backup_ms ms, restore $restore_ms ms, $size on disk"
if [ "$status" -eq 0 ]; then
    echo "OK: $tables tables, $rows rows, money totals, sequences, triggers and $files upload files identical after restore"
else
    echo "FAILED: the restored copy differs (see above)"
fi
exit "$status"
