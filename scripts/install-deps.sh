#!/usr/bin/env bash
# Installs the Debian 12 packages ammon needs, only those missing. Run as root (or with sudo).
# Usage: scripts/install-deps.sh [--test] [--bench]
#   --test adds what the test suite needs, --bench what bench/ needs (Brian2 for the side-by-side runs)
set -euo pipefail

pkgs=(build-essential cmake pkg-config git
      libgsl-dev libhdf5-dev hdf5-tools librandom123-dev libinih-dev libfftw3-dev
      libopenmpi-dev openmpi-bin
      libsdl2-dev libsdl2-ttf-dev libpng-dev fonts-dejavu-core
      python3 python3-h5py python3-numpy)
for arg in "$@"; do
  case "$arg" in
    --test) pkgs+=(clang-format cppcheck python3-scipy python3-matplotlib
                   python3-nbconvert jupyter-nbconvert python3-ipykernel) ;;
    --bench) pkgs+=(python3-brian python3-scipy) ;;
    *) echo "install-deps.sh: unknown option '$arg' (allowed: --test, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
