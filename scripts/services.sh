#!/usr/bin/env bash
# Install (Debian packages) and start the real services the test-suite talks to, when missing or down.
set -u
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
need_pkg() {  # need_pkg COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  shift
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || echo "services: could not install $*" >&2
}

# PostgreSQL
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then need_pkg pg_ctlcluster postgresql; fi
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# Mosquitto (MQTT broker, used by the MQTT integration tests)
need_pkg mosquitto mosquitto mosquitto-clients
need_pkg mosquitto_sub mosquitto-clients  # broker present without the clients
if command -v mosquitto >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  $SUDO mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
fi

# net-snmp: command-line clients (snmpget/snmpbulkwalk/snmpset/snmptranslate) for the SNMP
# tests, snmptrapd to receive the agent's traps, snmpd as the reference agent of `make bench`.
# Tests and benchmarks run their own snmpd/snmptrapd on ephemeral high ports with their own
# configuration; the Debian services the packages start (161/162) are stopped, never used.
need_pkg snmpget snmp
if ! command -v snmpd >/dev/null 2>&1 || ! command -v snmptrapd >/dev/null 2>&1; then
  need_pkg snmpd snmpd
  need_pkg snmptrapd snmptrapd
  for svc in snmpd snmptrapd; do $SUDO service "$svc" stop >/dev/null 2>&1 || true; done
fi

# Debian's Chromium: the UI tests drive it headless through Playwright (no browser download)
need_pkg chromium chromium

# wrk: HTTP load generator for `make bench` (benchmarks fall back to a Python client without it)
need_pkg wrk wrk
exit 0
