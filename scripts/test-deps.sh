#!/usr/bin/env bash
# Debian packages the end-to-end tests need. Installed only when missing, and only as root.
set -euo pipefail
needed=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in ${GRANARY_TEST_PACKAGES:-systemd util-linux etcd-server iproute2 zookeeper openssl containerd runc mmdebstrap python3-kubernetes prometheus prometheus-alertmanager prometheus-node-exporter systemd-container lintian dpkg-dev binutils}; do have "$pkg" || needed+=("$pkg"); done
# Container tests fetch Debian packages' files with `apt-get download` (docker-registry and
# busybox-static are extracted, never installed): that needs package lists.
if [ "$(id -u)" -eq 0 ] && ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
  echo "[granary test] no apt package lists yet: apt-get update" >&2
  apt-get update -qq >&2
fi
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "[granary test] missing Debian packages: ${needed[*]} (run as root so the tests can install them)" >&2
  exit 1
fi
echo "[granary test] installing Debian packages: ${needed[*]}" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >&2
