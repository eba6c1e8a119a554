#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds ammon (release) and runs the default
# experiment (data/configs/linear_track.ini), printing a summary and the output path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DAMMON_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target ammon >/dev/null
mkdir -p out
build/release/ammon run data/configs/linear_track.ini -o out/linear_track.h5 "$@"
echo "open it with: h5dump -H out/linear_track.h5   or   /usr/bin/python3 -c \"import h5py; print(list(h5py.File('out/linear_track.h5')))\""
