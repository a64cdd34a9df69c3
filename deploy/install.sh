#!/usr/bin/env bash
# Installs or upgrades shugai on a Linux box with systemd: the edge gateway (--role gateway) or the
# bureau's platform (--role serve). See deploy/README.md.
#
# Each release goes into /opt/shugai/releases/<version>-<digest> and /opt/shugai/current points to
# the one that runs. An upgrade checks the new release before switching to it (it starts, its native
# modules load, it accepts the installed config), then restarts the service and watches it; if
# anything fails, current goes back to the previous release. State and config are never touched:
# /var/lib/shugai (buffer, identity, PKI, embedded store) and /etc/shugai stay as they are.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/install.sh [--role gateway|serve] [--from DIR] [--root DIR] [--no-start] [--keep N]

  --role gateway   the edge gateway (default): user shugai, shugai-gateway.service, /etc/shugai/plant.yaml
  --role serve     the bureau's platform: user shugai-serve, shugai-serve.service, /etc/shugai/serve.env
  --from DIR       the release to install: a checkout or an unpacked release with its production
                   dependencies in node_modules (npm ci --omit=dev); default: the tree holding this script
  --root DIR       install under DIR as if it were / (for images and tests): users go into
                   DIR/etc/passwd, nothing is started
  --no-start       on an upgrade, do not restart the running service (it keeps the old release until then)
  --keep N         releases kept on disk, the running one included (default 3)
EOF
}

ROLE=gateway
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
START=1
KEEP=3
while [ $# -gt 0 ]; do
  case "$1" in
    --role) ROLE="${2:?--role needs gateway or serve}"; shift 2 ;;
    --from) SRC="$(cd "${2:?--from needs a folder}" && pwd)"; shift 2 ;;
    --root) ROOT="$(cd "${2:?--root needs a folder}" && pwd)"; shift 2 ;;
    --no-start) START=0; shift ;;
    --keep) KEEP="${2:?--keep needs a number}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "install: unknown argument $1" >&2; exit 2 ;;
  esac
done

say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }

case "$ROLE" in
  gateway) USER_NAME=shugai; UNIT=shugai-gateway.service; STATE=/var/lib/shugai ;;
  serve) USER_NAME=shugai-serve; UNIT=shugai-serve.service; STATE=/var/lib/shugai-serve ;;
  *) usage >&2; exit 2 ;;
esac
case "$KEEP" in '' | *[!0-9]* | 0 | 1) die "--keep must be 2 or more (the running release and one to go back to)" ;; esac

[ "$(id -u)" = 0 ] || die "run as root (sudo deploy/install.sh …)"
if [ ! -f "$SRC/package.json" ] || [ ! -f "$SRC/bin/shugai.mjs" ]; then
  die "$SRC is not a shugai tree (no package.json, bin/shugai.mjs)"
fi
[ -f "$SRC/node_modules/.package-lock.json" ] ||
  die "$SRC has no production dependencies: run 'npm ci && npm run build && npm prune --omit=dev' there first (for boxes without internet, on a build machine of the same architecture, then copy the tree)"
[ -f "$SRC/dist/cli/main.js" ] ||
  die "$SRC has no build (dist/): run 'npm run build' there before 'npm prune --omit=dev'"

NODE="${SHUGAI_NODE:-/usr/bin/node}"
[ -x "$NODE" ] || die "no Node.js at $NODE: install Node.js 20.19 or newer (the units run $NODE)"
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node.js $("$NODE" --version) is too old: shugai needs 20.19 or newer"

APP="$ROOT/opt/shugai"
ETC="$ROOT/etc/shugai"

# The release's name: its version and a digest of its files and dependency lock, so the same tree
# installed twice is the same release (nothing to do) and any change is a new one.
VERSION="$("$NODE" -p 'require(process.argv[1]).version' "$SRC/package.json")"
DIGEST="$(
  cd "$SRC" &&
    find . \( -name .git -o -name node_modules -o -name .shugai -o -name coverage -o -name secrets -o -path ./bench/results \) -prune -o -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | { cat; sha256sum node_modules/.package-lock.json; } | sha256sum | cut -c1-12
)"
ID="$VERSION-$DIGEST"
RELEASE="$APP/releases/$ID"
PREVIOUS="$(readlink "$APP/current" 2>/dev/null || true)"

# A release must start, load its native modules and accept the installed config before it runs.
check_release() {
  local dir="$1"
  "$NODE" "$dir/bin/shugai.mjs" --help >/dev/null || return 1
  (cd "$dir" && "$NODE" --input-type=module -e "import Database from 'better-sqlite3'; new Database(':memory:').close();") || return 1
  if [ "$ROLE" = gateway ] && [ -f "$ETC/plant.yaml" ]; then
    (
      set -a
      # shellcheck disable=SC1091 # the box's own secrets, referenced as ${NAME} in plant.yaml
      [ -f "$ETC/gateway.env" ] && . "$ETC/gateway.env"
      set +a
      "$NODE" "$dir/bin/shugai.mjs" config check "$ETC/plant.yaml"
    ) || return 1
  fi
}

# 1. The release: copied, owned by root, checked, then put in place.
if [ -d "$RELEASE" ]; then
  say "release $ID is already on disk"
else
  STAGE="$APP/releases/.staging-$ID"
  rm -rf "$STAGE"
  install -d -m 0755 "$APP" "$APP/releases" "$STAGE"
  tar -C "$SRC" --exclude=./.git --exclude=./.shugai --exclude=./coverage --exclude=./bench/results \
    --exclude=./node_modules/.cache --exclude=./deploy/compose/site/secrets --exclude='*.log' -cf - . | tar -C "$STAGE" -xf -
  chown -R 0:0 "$STAGE"
  chmod -R go-w "$STAGE"
  if ! check_release "$STAGE"; then
    rm -rf "$STAGE"
    die "release $ID failed its check (above); nothing changed${PREVIOUS:+, ${PREVIOUS#releases/} stays}"
  fi
  mv "$STAGE" "$RELEASE"
  say "release $ID checked and in place"
fi

# 2. The service's user, state folder and config (kept when they exist).
if ! grep -q "^$USER_NAME:" "$ROOT/etc/passwd"; then
  prefix=()
  [ -n "$ROOT" ] && prefix=(--prefix "$ROOT")
  groups=()
  # dialout: RS-485/RS-232 adapters for Modbus RTU.
  [ "$ROLE" = gateway ] && groups=(--groups dialout)
  useradd "${prefix[@]}" --system --user-group --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "${groups[@]}" "$USER_NAME"
  say "created user $USER_NAME"
fi
uid="$(awk -F: -v u="$USER_NAME" '$1 == u { print $3 }' "$ROOT/etc/passwd")"
gid="$(awk -F: -v u="$USER_NAME" '$1 == u { print $4 }' "$ROOT/etc/passwd")"
install -d -m 0755 -o 0 -g 0 "$ETC"
install -d -m 0700 -o "$uid" -g "$gid" "$ROOT$STATE"
if [ "$ROLE" = gateway ]; then
  if [ ! -e "$ETC/plant.yaml" ]; then
    install -m 0640 -o 0 -g "$gid" "$RELEASE/gateway/sample.yaml" "$ETC/plant.yaml"
    say "wrote $ETC/plant.yaml from gateway/sample.yaml: edit it for this plant"
  fi
  [ -e "$ETC/gateway.env" ] || install -m 0640 -o 0 -g "$gid" /dev/null "$ETC/gateway.env"
  install -d -m 0755 "$ROOT/etc/systemd/journald.conf.d"
  install -m 0644 "$RELEASE/deploy/systemd/journald-shugai.conf" "$ROOT/etc/systemd/journald.conf.d/60-shugai.conf"
else
  install -d -m 0750 -o 0 -g "$gid" "$ETC/serve"
  [ -e "$ETC/serve.env" ] || install -m 0640 -o 0 -g "$gid" "$RELEASE/deploy/systemd/serve.env" "$ETC/serve.env"
fi
install -d -m 0755 "$ROOT/etc/systemd/system" "$ROOT/usr/local/bin"
install -m 0644 "$RELEASE/deploy/systemd/$UNIT" "$ROOT/etc/systemd/system/$UNIT"
# The command for operators (sudo -u shugai shugai doctor …); the one line to change for compiled JS.
printf '#!/bin/sh\nexec %s /opt/shugai/current/bin/shugai.mjs "$@"\n' "$NODE" >"$ROOT/usr/local/bin/shugai.new"
chmod 0755 "$ROOT/usr/local/bin/shugai.new"
mv -f "$ROOT/usr/local/bin/shugai.new" "$ROOT/usr/local/bin/shugai"

# 3. Switch current (atomically: a rename) and restart; back to the previous release if it fails.
switch_to() {
  ln -sfn "$1" "$APP/current.new"
  mv -Tf "$APP/current.new" "$APP/current"
}
running_systemd() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# Healthy: active and not restarted for 10 s after the restart (Restart=always would hide a crash loop).
healthy() {
  local restarts
  restarts="$(systemctl show -p NRestarts --value "$UNIT")"
  for _ in $(seq 1 20); do
    sleep 0.5
    systemctl is-active --quiet "$UNIT" || return 1
    [ "$(systemctl show -p NRestarts --value "$UNIT")" = "$restarts" ] || return 1
  done
}

if [ "$PREVIOUS" = "releases/$ID" ]; then
  say "release $ID is already the current one"
else
  switch_to "releases/$ID"
  say "current -> releases/$ID${PREVIOUS:+ (was ${PREVIOUS#releases/})}"
fi

# A first install starts nothing: the config needs editing first. An upgrade restarts a running service.
if [ -z "$PREVIOUS" ]; then
  say "first install: when $ETC is set up, systemctl enable --now $UNIT"
elif ! running_systemd; then
  say "systemd is not running here${ROOT:+ (--root)}: nothing restarted"
else
  systemctl daemon-reload
  if [ "$START" = 1 ] && [ "$PREVIOUS" != "releases/$ID" ] && systemctl is-active --quiet "$UNIT"; then
    systemctl restart "$UNIT"
    if ! healthy; then
      journalctl -u "$UNIT" -n 20 --no-pager >&2 || true
      switch_to "$PREVIOUS"
      systemctl restart "$UNIT" || true
      die "$UNIT did not stay up on release $ID (log above): back on ${PREVIOUS#releases/}"
    fi
    say "$UNIT is running release $ID"
  fi
fi

# 4. Old releases: keep the newest KEEP, never the current or the previous one.
current="$(readlink "$APP/current")"
find "$APP/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.staging-*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2- |
  tail -n +"$((KEEP + 1))" | while read -r old; do
    [ "releases/$old" = "$current" ] || [ "releases/$old" = "$PREVIOUS" ] || { rm -rf "${APP:?}/releases/$old" && say "removed old release $old"; }
  done

if [ "$ROLE" = gateway ]; then
  say "next: edit $ETC/plant.yaml (secrets as \${NAME} in $ETC/gateway.env or \${file:…}), then"
  say "  sudo -u $USER_NAME shugai gateway init --config /etc/shugai/plant.yaml   # register the key it prints"
  say "  sudo -u $USER_NAME shugai doctor --config /etc/shugai/plant.yaml"
else
  say "next: set the database and listen address in $ETC/serve.env, the credentials in $ETC/serve/ (deploy/README.md)"
fi
