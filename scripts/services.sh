#!/usr/bin/env bash
# Makes sure the local services the tests and local runs need are there:
# MariaDB on 127.0.0.1:3306 and PostgreSQL on 127.0.0.1:5432 (installed with
# apt-get and started when missing) and the Cloud Spanner emulator binary (the tests start their own
# emulator processes on free ports). Idempotent; safe to run every time.
set -euo pipefail

EMULATOR=${REVREPL_SPANNER_EMULATOR:-/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main}

mysql_up() {
  if command -v mariadb-admin >/dev/null 2>&1; then
    mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1
  else
    (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null
  fi
}

if ! mysql_up; then
  if [ ! -x /usr/sbin/mariadbd ]; then
    echo "services: installing MariaDB with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq mariadb-server >/dev/null
  fi
  echo "services: starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    mysql_up && break
    sleep 1
  done
  mysql_up || { echo "services: MariaDB did not come up on 127.0.0.1:3306" >&2; exit 1; }
fi
echo "services: MariaDB is up on 127.0.0.1:3306"

# PostgreSQL on 127.0.0.1:5432 (sourceType=postgresql tests and demo),
# reached as postgres without a password. A cluster this script installs
# trusts local TCP logins; an existing one is used as configured.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "services: installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    done
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "services: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do
    pg_up && break
    sleep 1
  done
  pg_up || { echo "services: PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi
echo "services: PostgreSQL is up on 127.0.0.1:5432"

if [ ! -x "$EMULATOR" ]; then
  echo "services: the Cloud Spanner emulator is missing at $EMULATOR" >&2
  echo "services: install the google-cloud-cli-spanner-emulator package (or set REVREPL_SPANNER_EMULATOR)" >&2
  exit 1
fi
echo "services: Cloud Spanner emulator found at $EMULATOR"
