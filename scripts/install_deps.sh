#!/usr/bin/env bash
# Installs the Debian packages that hedgelab builds with, where any is missing (apt-get as root,
# through sudo otherwise). CUDA is not installed here: the build uses nvcc when it finds one.
set -euo pipefail
pkgs=(g++ make cmake pkg-config git libhdf5-dev libfmt-dev doctest-dev libtomlplusplus-dev libcli11-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
