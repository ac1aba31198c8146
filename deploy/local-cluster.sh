#!/usr/bin/env bash
# The scaled desk on this machine, from deploy/'s own files: a private PostgreSQL (Debian's), three app
# processes and two workers (the ExecStart lines of mesa-app@.service and mesa-worker@.service, restarted
# when they die, as Restart=always does) and nginx with deploy/nginx.conf (only its addresses, ports and
# certificate paths replaced), all on 127.0.0.1.
#
#   deploy/local-cluster.sh up   [--dir DIR] [--https-port 8443] [--http-port 8080]
#                                [--app-ports 8601,8602,8603] [--workers 2] [--pg-port 55432]
#   deploy/local-cluster.sh down [--dir DIR]
#   deploy/local-cluster.sh status [--dir DIR]
#
# Any MESA_* variable set when calling `up` (MESA_SMTP_HOST, MESA_SMTP_PORT, MESA_MAX_UPLOAD_MB…) goes
# into the cluster's mesa.env; the database, data folder, cookie key and address are the cluster's own.
# Everything lives in DIR (default /tmp/mesa-cluster): the database, the data folder, the logs, the pids.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEPLOY="$ROOT/deploy"
ACTION="${1:-}"
shift || true
DIR="${TMPDIR:-/tmp}/mesa-cluster"
HTTPS_PORT=8443
HTTP_PORT=8080
APP_PORTS="8601,8602,8603"
WORKERS=2
PG_PORT=55432
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --https-port) HTTPS_PORT="$2"; shift 2 ;;
    --http-port) HTTP_PORT="$2"; shift 2 ;;
    --app-ports) APP_PORTS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --pg-port) PG_PORT="$2"; shift 2 ;;
    *) echo "Opción desconocida: $1" >&2; exit 2 ;;
  esac
done
PYTHON="$ROOT/.venv/bin/python"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
PG_DATA="$DIR/pg/data"
PG_USER_RUN=()  # initdb and postgres refuse to run as root: as root, the `postgres` user runs them
if [ "$(id -u)" = 0 ]; then PG_USER_RUN=(runuser -u postgres --); fi

say() { echo "[cluster] $*"; }

# A process kept alive as systemd's Restart=always does: started again 2 s after it ends, until `down`.
supervise() {
  local name="$1"; shift
  (
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM
    while true; do
      "$@" >>"$DIR/logs/$name.log" 2>&1 &
      child=$!
      echo "$child" >"$DIR/pids/$name.child"
      wait "$child" || true
      [ -e "$DIR/pids/stopping" ] && exit 0
      echo "$(date -Is) $name ended; starting it again in 2 s" >>"$DIR/logs/$name.log"
      sleep 2
    done
  ) </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/pids/$name.loop"
}

# The ExecStart of a unit file, as written, for this checkout.
exec_start() {
  local unit="$1" instance="$2"
  sed -n 's/^ExecStart=//p' "$DEPLOY/$unit" | sed -e "s#/opt/mesa#$ROOT#g" -e "s#%i#$instance#g"
}

wait_for() {  # wait_for DESCRIPTION COMMAND…: up to 60 s
  local what="$1"; shift
  for _ in $(seq 1 240); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  echo "No respondió: $what (vea $DIR/logs)" >&2
  return 1
}

start_postgres() {
  mkdir -p "$DIR/pg"
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg"
    "${PG_USER_RUN[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U mesa -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/logs/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/logs" && touch "$DIR/logs/postgres.log" && chown postgres "$DIR/logs/postgres.log"
  "${PG_USER_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$DIR/logs/postgres.log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DIR/pg" start >/dev/null
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U mesa -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'mesa'" \
    | grep -q 1 || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U mesa mesa
}

write_env() {
  mkdir -p "$DIR/data"
  [ -s "$DIR/cookie.key" ] || "$PYTHON" -c "import secrets; print(secrets.token_hex(32))" >"$DIR/cookie.key"
  {
    env | grep '^MESA_' | grep -v -E '^MESA_(DATABASE_URL|DATA_DIR|COOKIE_KEY|APP_URL|BACKGROUND_SENDER)=' || true
    echo "MESA_DATABASE_URL=postgresql+psycopg://mesa@127.0.0.1:$PG_PORT/mesa"
    echo "MESA_DATA_DIR=$DIR/data"
    echo "MESA_COOKIE_KEY=$(cat "$DIR/cookie.key")"
    echo "MESA_APP_URL=https://127.0.0.1:$HTTPS_PORT"
    echo "MESA_BACKGROUND_SENDER=false"
  } >"$DIR/mesa.env"
  chmod 600 "$DIR/mesa.env"
}

first_admin() {
  if [ -s "$DIR/credentials.txt" ]; then return; fi
  local password
  password="$("$PYTHON" -c "import secrets; print('Mesa-' + secrets.token_urlsafe(12))")"
  (
    cd "$ROOT"
    "$PYTHON" cli.py create-user --username admin.mesa --full-name "Administración" \
      --email admin@example.org --role admin --password "$password"
    "$PYTHON" cli.py seed-demo
  ) >"$DIR/logs/setup.log" 2>&1
  {
    echo "admin.mesa  Administrador  clave: $password"
    grep 'clave:' "$DIR/logs/setup.log" || true
  } >"$DIR/credentials.txt"
  chmod 600 "$DIR/credentials.txt"
}

start_nginx() {
  local upload servers certs
  mkdir -p "$DIR/nginx" "$DIR/nginx/logs"
  certs="$DIR/nginx"
  [ -s "$certs/cert.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$certs/key.pem" -out "$certs/cert.pem" >/dev/null 2>&1
  upload=$(( 2 * ${MESA_MAX_UPLOAD_MB:-10} + 1 ))
  servers=""
  for port in ${APP_PORTS//,/ }; do servers="$servers server 127.0.0.1:$port;"; done
  # deploy/nginx.conf with only its addresses, ports, certificate paths and upload limit replaced.
  local site
  site="$(sed -E \
    -e "s#^(upstream mesa \{ ip_hash;).*\}#\1$servers }#" \
    -e "s#listen 80;#listen 127.0.0.1:$HTTP_PORT;#" \
    -e "s#listen 443 ssl;#listen 127.0.0.1:$HTTPS_PORT ssl;#" \
    -e "s#/etc/ssl/mesa/fullchain.pem#$certs/cert.pem#" \
    -e "s#/etc/ssl/mesa/privkey.pem#$certs/key.pem#" \
    -e "s#client_max_body_size [0-9]+m;#client_max_body_size ${upload}m;#" \
    -e "s#return 301 https://\\\$host\\\$request_uri;#return 301 https://\$host:$HTTPS_PORT\$request_uri;#" \
    "$DEPLOY/nginx.conf")"
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >"$DIR/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
pid $DIR/pids/nginx.pid;
error_log $DIR/logs/nginx-error.log info;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  access_log $DIR/logs/nginx-access.log;
  client_body_temp_path $DIR/nginx/client_body; proxy_temp_path $DIR/nginx/proxy;
  fastcgi_temp_path $DIR/nginx/fastcgi; uwsgi_temp_path $DIR/nginx/uwsgi; scgi_temp_path $DIR/nginx/scgi;
$site
}
CONF
  /usr/sbin/nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -t >"$DIR/logs/nginx-test.log" 2>&1 \
    || { cat "$DIR/logs/nginx-test.log" >&2; exit 1; }
  /usr/sbin/nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf"
}

up() {
  mkdir -p "$DIR/logs" "$DIR/pids"
  # As root, the `postgres` user runs the database from DIR/pg: it must be able to pass through DIR.
  [ "$(id -u)" = 0 ] && chmod 755 "$DIR"
  rm -f "$DIR/pids/stopping"
  say "PostgreSQL en 127.0.0.1:$PG_PORT"
  start_postgres
  write_env
  set -a; . "$DIR/mesa.env"; set +a
  (cd "$ROOT" && "$PYTHON" cli.py migrate >"$DIR/logs/migrate.log" 2>&1)
  first_admin
  local port
  for port in ${APP_PORTS//,/ }; do
    say "app en 127.0.0.1:$port"
    # shellcheck disable=SC2046 - the unit's ExecStart, split into words as systemd does
    (cd "$ROOT" && supervise "app-$port" $(exec_start mesa-app@.service "$port"))
  done
  for n in $(seq 1 "$WORKERS"); do
    say "trabajador $n"
    # shellcheck disable=SC2046
    (cd "$ROOT" && supervise "worker-$n" $(exec_start mesa-worker@.service "$n"))
  done
  for port in ${APP_PORTS//,/ }; do
    wait_for "app $port" curl -fsS "http://127.0.0.1:$port/_stcore/health"
  done
  say "nginx en https://127.0.0.1:$HTTPS_PORT (y http://127.0.0.1:$HTTP_PORT, que lleva a https)"
  start_nginx
  wait_for "nginx" curl -fsSk "https://127.0.0.1:$HTTPS_PORT/_stcore/health"
  say "Lista: https://127.0.0.1:$HTTPS_PORT (certificado propio de prueba). Claves en $DIR/credentials.txt:"
  sed 's/^/  /' "$DIR/credentials.txt"
}

down() {
  mkdir -p "$DIR/pids"
  touch "$DIR/pids/stopping"
  if [ -s "$DIR/pids/nginx.pid" ]; then
    /usr/sbin/nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -s stop 2>/dev/null || true
  fi
  local loop name pids=()
  for loop in "$DIR"/pids/*.loop; do
    [ -e "$loop" ] || continue
    name="${loop%.loop}"
    pids+=("$(cat "$loop")")
    [ -s "$name.child" ] && pids+=("$(cat "$name.child")")
  done
  # As systemd stops a unit: TERM, up to 10 s to finish what it was doing, then KILL.
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 40); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  [ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null || true
  rm -f "$DIR"/pids/*.loop "$DIR"/pids/*.child
  if [ -s "$PG_DATA/postmaster.pid" ]; then
    "${PG_USER_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  say "Detenido (los datos siguen en $DIR; bórrelo para empezar de cero)."
}

status() {
  local loop name
  for loop in "$DIR"/pids/*.loop; do
    [ -e "$loop" ] || continue
    name="$(basename "${loop%.loop}")"
    if kill -0 "$(cat "$loop")" 2>/dev/null; then echo "$name: en marcha"; else echo "$name: detenido"; fi
  done
  (set -a; . "$DIR/mesa.env"; set +a; cd "$ROOT" && "$PYTHON" cli.py status) || true
}

case "$ACTION" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "Uso: $0 up|down|status [--dir DIR] [--https-port N] [--http-port N] [--app-ports A,B,C] [--workers N] [--pg-port N]" >&2; exit 2 ;;
esac
