#!/usr/bin/env bash
# Back up Rukun: the PostgreSQL database (pg_dump, custom format) and the uploaded photos and receipts
# (a tar of UPLOAD_FOLDER), under one UTC timestamp:
#
#   BACKUP_DIR/rukun-20260301T020000Z.dump          pg_restore-able, compressed
#   BACKUP_DIR/rukun-20260301T020000Z.uploads.tar.gz
#   BACKUP_DIR/rukun-20260301T020000Z.sha256         checksums of both, checked by restore.sh
#
# Usage: DATABASE_URL=postgresql://user@host/rukun UPLOAD_FOLDER=/srv/rukun/uploads scripts/backup.sh [BACKUP_DIR]
# BACKUP_DIR defaults to $BACKUP_DIR, else ./backups. Prints the three paths. Run it from cron, keep copies
# off the machine, and restore one regularly (scripts/test_backup_restore.sh shows how).
#
# The database is dumped first, then the uploads: a photo uploaded in between is an extra file in the tar,
# never a row without its file. pg_dump reads one consistent snapshot and does not block the app.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
url=$DATABASE_URL
url=${url/#postgres:\/\//postgresql://}
url=${url/#postgresql+psycopg:\/\//postgresql://}   # the app's SQLAlchemy spelling, for libpq
case $url in
    postgresql://*) ;;
    *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL (a SQLite file is backed up by copying it)" >&2; exit 2 ;;
esac
uploads=${UPLOAD_FOLDER:-instance/uploads}
dir=${1:-${BACKUP_DIR:-backups}}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
base="$dir/rukun-$stamp"
mkdir -p "$dir"
umask 077  # pledgers' names, e-mail addresses and receipts are in there

# Written under temporary names and renamed at the end, so a failed run never leaves a backup that looks whole.
trap 'rm -f "$base.dump.part" "$base.uploads.tar.gz.part"' EXIT
pg_dump --format=custom --compress=6 --file="$base.dump.part" "$url"
if [ -d "$uploads" ]; then
    tar -C "$uploads" -czf "$base.uploads.tar.gz.part" .
else
    echo "backup.sh: no upload folder at $uploads; the uploads archive is empty" >&2
    tar -czf "$base.uploads.tar.gz.part" -T /dev/null
fi
mv "$base.dump.part" "$base.dump"
mv "$base.uploads.tar.gz.part" "$base.uploads.tar.gz"
(cd "$dir" && sha256sum "rukun-$stamp.dump" "rukun-$stamp.uploads.tar.gz") > "$base.sha256"
echo "$base.dump"
echo "$base.uploads.tar.gz"
echo "$base.sha256"
