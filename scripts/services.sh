# Sourced by scripts/test: make sure the services the test suite talks to are up.
# On a machine without them (a fresh CI box) they are installed from Debian's packages.

pg_url_base="postgres://postgres@127.0.0.1:5432"

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test: $1 is missing and installing it needs root; install it, or run as root" >&2
    exit 1
  fi
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    need_root PostgreSQL
    echo "scripts/test: installing PostgreSQL" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    # A throwaway test cluster: trust connections from loopback, as the suite expects.
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
    done
  fi
  echo "scripts/test: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "scripts/test: PostgreSQL did not come up on 127.0.0.1:5432" >&2
  exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    need_root Redis
    echo "scripts/test: installing Redis" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
  fi
  echo "scripts/test: starting Redis" >&2
  mkdir -p /tmp/redis-test
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/redis-test >/dev/null
  for _ in $(seq 1 30); do
    redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && return
    sleep 0.5
  done
  echo "scripts/test: Redis did not come up on 127.0.0.1:6379" >&2
  exit 1
}

# The admin console's browser tests drive Debian's headless Chromium through chromedriver.
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  need_root Chromium
  echo "scripts/test: installing chromium and chromium-driver" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }
}

# A fresh database per run; each test then makes its own schema inside it.
fresh_test_database() {
  local name="$1"
  psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
  echo "$pg_url_base/$name"
}
