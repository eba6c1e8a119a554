#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds and runs every test tier CI runs:
#   1. release build: unit + science + lint tests;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build: unit tests.
# The long tier (multi-seed studies) is not run here: scripts/test-long.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc)
start=$(date +%s)

echo "== release build: unit, science and lint tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DAMMON_WERROR=ON >/dev/null
cmake --build build/release -j"$jobs"
ctest --test-dir build/release -L 'unit|science|lint' --output-on-failure -j"$jobs"

echo "== sanitizer build (ASan + UBSan): unit tests"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DAMMON_SANITIZE=ON -DAMMON_WERROR=ON >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan -L unit --output-on-failure -j"$jobs"

echo "== all tiers passed in $(( $(date +%s) - start )) s"
