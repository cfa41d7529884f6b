#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY PostgreSQL database and an empty upload folder.
#
# Usage: DATABASE_URL=postgresql://user@host/rukun_new UPLOAD_FOLDER=/srv/rukun/uploads \
#            scripts/restore.sh backups/rukun-20260301T020000Z.dump
#
# Create the database first (createdb rukun_new). The checksums are verified before anything is written; the
# database is restored in one transaction (all or nothing, stopping at the first error), owned by the
# connecting role. It refuses a database that already has tables and an upload folder that has files:
# restoring never merges into live data. Afterwards run `flask --app wsgi db upgrade` if the code is newer
# than the backup, then point the app servers at the restored database.
set -euo pipefail

dump=${1:?usage: scripts/restore.sh BACKUP.dump (with BACKUP.uploads.tar.gz and BACKUP.sha256 beside it)}
: "${DATABASE_URL:?DATABASE_URL must name the empty PostgreSQL database to restore into}"
url=$DATABASE_URL
url=${url/#postgres:\/\//postgresql://}
url=${url/#postgresql+psycopg:\/\//postgresql://}
uploads=${UPLOAD_FOLDER:-instance/uploads}
base=${dump%.dump}
archive="$base.uploads.tar.gz"
for file in "$dump" "$archive"; do
    [ -f "$file" ] || { echo "restore.sh: $file is missing" >&2; exit 2; }
done
if [ -f "$base.sha256" ]; then
    (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$base.sha256")")
else
    echo "restore.sh: no $base.sha256; checksums not verified" >&2
fi

tables=$(psql --no-psqlrc -Atq -d "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the database already has $tables tables; restore into a new, empty one" >&2
    exit 3
fi
if [ -d "$uploads" ] && [ -n "$(find "$uploads" -mindepth 1 -print -quit)" ]; then
    echo "restore.sh: $uploads is not empty; restore into a new, empty folder" >&2
    exit 3
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$dump"
mkdir -p "$uploads"
tar -C "$uploads" -xzf "$archive"
echo "restored $dump into the database and $(find "$uploads" -type f | wc -l) upload file(s) into $uploads"
