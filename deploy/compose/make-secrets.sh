#!/usr/bin/env bash
# Makes every secret that compose.yaml reads, as files in ./secrets: a site CA with TLS certificates
# for Mosquitto and shugai serve, random passwords, Mosquitto's password file and the pgpass line
# for shugai serve. A file that exists is kept, so running it again only adds what is missing
# (delete a certificate to make it again, e.g. for another --hostname). Each file belongs to the
# user id its container runs as, readable by it alone; the CA's key stays in secrets/ca/, mounted
# nowhere. Needs openssl and mosquitto_passwd (Debian: openssl, mosquitto).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/compose/make-secrets.sh --hostname NAME [--dir DIR]

  --hostname NAME  the name gateways, devices and browsers use for this server (in the certificates)
  --dir DIR        where to write (default: secrets/ beside this script, where compose.yaml looks)
EOF
}

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
SITE_HOST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hostname) SITE_HOST="${2:?--hostname needs a name}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a folder}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "make-secrets: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$SITE_HOST" ] || { usage >&2; exit 2; }
case "$SITE_HOST" in *[!A-Za-z0-9.-]*) echo "make-secrets: --hostname $SITE_HOST is not a host name" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "make-secrets: run as root: the files are given to the containers' users" >&2; exit 1; }
for tool in openssl mosquitto_passwd; do
  command -v "$tool" >/dev/null || { echo "make-secrets: $tool not found (Debian: apt-get install openssl mosquitto)" >&2; exit 1; }
done

# The users the images run as: eclipse-mosquitto 1883, shugai 10001 (deploy/docker/Dockerfile),
# grafana 472; InfluxDB 1.8 and PostgreSQL read their secrets as root before they start.
MOSQUITTO=1883
SHUGAI=10001
GRAFANA=472
ROOT=0

umask 077
install -d -m 0755 "$DIR"
install -d -m 0700 "$DIR/ca"
cd "$DIR"

say() { echo "make-secrets: $*"; }
# Gives a file to a container's user, readable by it alone.
own() { chown "$2:$2" "$1"; chmod "${3:-0400}" "$1"; }
password() { openssl rand -base64 48 | tr -d '/+=\n' | head -c 32; }
# A random password in FILE for USER, unless FILE exists.
secret() {
  if [ ! -e "$1" ]; then password >"$1" && say "made $1"; fi
  own "$1" "$2"
}

# The site CA: ten years, used only to sign the two server certificates below.
if [ ! -e ca/site-ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=shugai site CA ($SITE_HOST)" -keyout ca/site-ca.key -out site-ca.pem \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  say "made the site CA: give site-ca.pem to every gateway and device that connects here"
fi
own ca/site-ca.key "$ROOT"
chmod 0444 site-ca.pem

# A server certificate NAME-cert.pem / NAME-key.pem for the compose service NAME and the site's name.
server_cert() {
  local name="$1" owner="$2"
  if [ ! -e "$name-cert.pem" ]; then
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$SITE_HOST" \
      -keyout "$name-key.pem" -out "ca/$name.csr" 2>/dev/null
    openssl x509 -req -in "ca/$name.csr" -CA site-ca.pem -CAkey ca/site-ca.key -CAcreateserial -CAserial ca/serial \
      -days 825 -out "$name-cert.pem" -extfile <(printf '%s\n' \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" \
        "subjectAltName=DNS:$SITE_HOST,DNS:$3,DNS:localhost,IP:127.0.0.1") 2>/dev/null
    rm -f "ca/$name.csr"
    say "made $name-cert.pem for $SITE_HOST and $3"
  fi
  own "$name-key.pem" "$owner"
  chmod 0444 "$name-cert.pem"
}
server_cert mqtt "$MOSQUITTO" mosquitto
server_cert serve "$SHUGAI" serve

# MQTT users: the gateway reads, the devices publish (mosquitto/acl). The devices' password stays
# here for whoever configures them; Mosquitto holds only hashes.
secret mqtt-gateway-password "$SHUGAI"
secret mqtt-devices-password "$ROOT"
if [ ! -e mosquitto-passwd ]; then
  : >mosquitto-passwd
  mosquitto_passwd -b mosquitto-passwd gateway "$(cat mqtt-gateway-password)"
  mosquitto_passwd -b mosquitto-passwd devices "$(cat mqtt-devices-password)"
  say "made mosquitto-passwd (users gateway, devices)"
fi
own mosquitto-passwd "$MOSQUITTO" 0600

# InfluxDB: an admin, the gateway's write-only user, Grafana's read-only user.
secret influx-admin-password "$ROOT"
secret influx-write-password "$SHUGAI"
secret influx-read-password "$GRAFANA"

# PostgreSQL and shugai serve: the password as a pgpass line (host:port:database:user:password).
secret postgres-password "$ROOT"
if [ ! -e pgpass ]; then
  printf 'postgres:5432:shugai:shugai:%s\n' "$(cat postgres-password)" >pgpass
  say "made pgpass"
fi
own pgpass "$SHUGAI" 0600
secret read-token "$SHUGAI"
secret grafana-admin-password "$GRAFANA"

say "secrets in $DIR; Grafana's admin password is in grafana-admin-password"
