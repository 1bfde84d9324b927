#!/usr/bin/env bash
# Installs what wrenmq's build and tests need, and nothing when it is already there:
#   - npm packages, exactly as package-lock.json pins them (npm ci);
#   - Debian's mosquitto and mosquitto-clients, the real peers the tests and vector capture use,
#     and openssl for test certificates (only as root; otherwise it says what to run);
#   - Python's paho-mqtt, another real client the interop tests drive (pip, user-level if not root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)   # test certificates for the TLS listeners
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: ${missing[*]} missing; as root run: apt-get install ${missing[*]}" >&2
    echo "setup: (the interop, security and vector-capture tests need them)" >&2
  fi
fi

if ! python3 -c "import paho.mqtt.client" >/dev/null 2>&1; then
  echo "setup: pip install paho-mqtt"
  python3 -m pip install --quiet --disable-pip-version-check paho-mqtt==2.1.0 \
    || python3 -m pip install --quiet --disable-pip-version-check --user paho-mqtt==2.1.0 \
    || echo "setup: paho-mqtt missing; run: python3 -m pip install paho-mqtt==2.1.0" >&2
fi
