#!/usr/bin/env bash
# Builds the libFuzzer targets of native/fuzz with clang, ASan and UBSan, then fuzzes each one
# for a bounded time starting from its committed seed corpus and dictionary.
#
#   test/hardening/fuzz.sh                 every target, 30 s each (about 3 minutes in all)
#   test/hardening/fuzz.sh 120 json_fuzz   one target, 2 minutes
#
# A finding (sanitizer report, crash, timeout, out-of-memory, untyped exception, broken
# invariant) stops the run with exit status 1 and leaves the input in build/native-fuzz/findings/.
# Reproduce it with `build/native-fuzz/<target> <file>`, then turn it into a regression test in
# native/tests/ before fixing it. New inputs the fuzzer finds go to build/native-fuzz/corpus/, not
# to the committed seeds.
#
# Needs clang and libFuzzer (Debian 12: apt-get install -y clang libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-30}"
shift || true
out=build/native-fuzz
jobs=2

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi

mapfile -t all < <(for f in native/fuzz/*_fuzz.cpp; do basename "$f" .cpp; done)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

cmake -S native -B "$out" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCOUT_SANITIZE=ON -DSCOUT_FUZZ=ON >/dev/null
cmake --build "$out" -j "$jobs" --target "${targets[@]}"

# halt_on_error: one report is a finding. Leak checking stays on: a parser that leaks on a bad
# input would leak in the long-lived sidecar too.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

dict_for() {
  case "$1" in
    json_fuzz) echo native/fuzz/dict/json.dict ;;
    config_fuzz) echo native/fuzz/dict/config.dict ;;
    shard_index_fuzz) echo native/fuzz/dict/shard_index.dict ;;
    safetensors_*) echo native/fuzz/dict/safetensors.dict ;;
    *) echo "fuzz.sh: no dictionary for $1" >&2; exit 2 ;;
  esac
}

mkdir -p "$out/findings"
for target in "${targets[@]}"; do
  seeds="native/fuzz/corpus/$target"
  work="$out/corpus/$target"
  [[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  mkdir -p "$work"
  # Both dictionaries: every target reads JSON.
  dict="$out/$target.dict"
  cat native/fuzz/dict/json.dict "$(dict_for "$target")" >"$dict"
  echo "== $target: ${seconds}s"
  # -timeout: one input may take at most 2 s (bad-inputs.md asks for < 1 s per case; the margin
  # is for the sanitizers). -malloc_limit_mb: no single allocation of 256 MB from a small input.
  if ! "$out/$target" "$work" "$seeds" -dict="$dict" -max_total_time="$seconds" -timeout=2 \
    -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$out/findings/$target-" 2>"$out/$target.log"; then
    tail -n 60 "$out/$target.log" >&2
    echo "fuzz.sh: $target found a problem; input saved under $out/findings/" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$out/$target.log" || true
done
echo "fuzz.sh: ${#targets[@]} target(s), no findings"
