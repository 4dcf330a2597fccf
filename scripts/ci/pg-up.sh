#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL, then creates the test role and database.
# Prints DATABASE_URL=... on its last line. Idempotent; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/bin/pg_ctlcluster ] || ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
fi
PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PGVER main" || pg_createcluster "$PGVER" main >/dev/null
PGPORT=$(pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main" {print $3}')
pg_ctlcluster --skip-systemctl-redirect "$PGVER" main status >/dev/null 2>&1 || pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 1; done
pg_isready -q -h 127.0.0.1 -p "$PGPORT"
PSQL=(runuser -u postgres -- psql -p "$PGPORT" -v ON_ERROR_STOP=1 -qAt)
"${PSQL[@]}" -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='wdtk') THEN CREATE ROLE wdtk LOGIN PASSWORD 'wdtk' CREATEDB; END IF; END\$\$;"
[ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname='wdtk_test'")" = 1 ] || runuser -u postgres -- createdb -p "$PGPORT" -O wdtk wdtk_test
echo "DATABASE_URL=postgres://wdtk:wdtk@127.0.0.1:${PGPORT}/wdtk_test"
