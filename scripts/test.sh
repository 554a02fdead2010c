#!/usr/bin/env bash
# Sets up AkkaOcr and runs every test assembly one after another, then prints one line
# "N passed, N failed" summed over all of them. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export CONFIGURATION="${CONFIGURATION:-Release}"
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export OMP_THREAD_LIMIT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results="$(pwd)/TestResults/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results"
passed=0
failed=0
status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  dotnet test "$project" -c "$CONFIGURATION" --no-build --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=normal" --results-directory "$results"
  rc=$?
  [ "$rc" -ne 0 ] && status=1
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
    p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A test host that dies mid-run leaves a results file that counts no failure.
    if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
      echo "$name: the test run was aborted (exit $rc) with no test failed: counted as one failure"
      failed=$((failed + 1))
    fi
  else
    echo "$name: no test results (the test host crashed?)"
    failed=$((failed + 1))
  fi
done

[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed"
exit "$status"
