#!/usr/bin/env bash
# Install the Debian/Ubuntu packages listed in dev/system-packages.txt (or the lists given as
# arguments) that are missing.
# Runs apt-get only when something is missing; uses sudo when not root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
missing=()
while read -r pkg; do
  case "$pkg" in ''|'#'*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(cat "${@:-$here/system-packages.txt}")
# python3-venv may be satisfied by a versioned package (python3.11-venv) or a non-Debian Python.
if python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing=("${missing[@]/python3-venv/}")
fi
pkgs=()
for p in "${missing[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
[ ${#pkgs[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "tillbox: missing system packages (${pkgs[*]}) and no apt-get to install them" >&2
  exit 2
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${pkgs[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
