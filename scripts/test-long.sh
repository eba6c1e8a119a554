#!/usr/bin/env bash
# The long test tier: multi-seed studies (minutes to hours), not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DAMMON_WERROR=ON >/dev/null
cmake --build build/release -j"$(nproc)"
ctest --test-dir build/release -L long --output-on-failure
