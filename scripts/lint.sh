#!/usr/bin/env bash
# Lint: every C file formatted with the committed .clang-format, and cppcheck clean.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]')
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
    echo "not formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done
incs=$(for d in src/*/; do printf -- '-I%s ' "$d"; done)
# shellcheck disable=SC2086
cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
  --suppress=missingIncludeSystem -D_POSIX_C_SOURCE=200809L $incs src || bad=1
if ((bad)); then echo "lint failed"; exit 1; fi
echo "lint: 1 passed, 0 failed"
