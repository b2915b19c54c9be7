#!/usr/bin/env bash
# Installs the Debian 12 packages marketsync needs to build, test and run.
# As root it runs apt-get itself; otherwise it prints the exact command.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang-format
      libcurl4-openssl-dev libsqlite3-dev sqlite3
      libmicrohttpd-dev libsodium-dev libicu-dev libcjson-dev libcmocka-dev
      python3 curl tzdata fiu-utils valgrind)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "marketsync needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
