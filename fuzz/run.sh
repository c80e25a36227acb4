#!/usr/bin/env bash
# Fuzz pass: builds the cargo-fuzz targets under fuzz/ and runs each for FUZZ_SECONDS (default
# 20) seconds, printing per target the executions, corpus size and crashes; fails on any crash.
#
# Works on the stable toolchain: `--sanitizer none` needs no nightly flag (the node forbids
# unsafe code, so AddressSanitizer adds little); coverage comes from stable `-C` flags.
#
#   fuzz/run.sh                                      the short pass (CI): 20 s per target
#   FUZZ_SECONDS=600 fuzz/run.sh                     the long pass: 10 minutes per target
#   FUZZ_TARGETS="record manifest" fuzz/run.sh       some targets only
#   FUZZ_PROFILE=dev fuzz/run.sh                     unoptimised build: builds much faster,
#                                                    runs fewer executions per second
#   FUZZ_TARGET_DIR=~/.cache/metronode-fuzz fuzz/run.sh   keep the build between clones
#
# Seeds are read from fuzz/corpus/<target>/ and never written; what the fuzzer finds goes to
# fuzz/target/corpus/<target>/ (kept between runs), crashing inputs to fuzz/artifacts/<target>/.
# Reproduce one with `cargo fuzz run -s none -a <target> fuzz/artifacts/<target>/crash-…`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
read -r -a targets <<<"${FUZZ_TARGETS:-record ingest_csv manifest artefact_metadata config}"
profile="${FUZZ_PROFILE:-release}"
target_dir="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"

# cargo-fuzz from crates.io, once per machine (it stays in ~/.cargo/bin).
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

# -s none: no sanitizer, so no nightly flag; -a: debug assertions and overflow checks on.
flags=(--sanitizer none --debug-assertions --target-dir "$target_dir")
case "$profile" in
    release) ;;
    dev) flags+=(--dev) ;;
    *) echo "FUZZ_PROFILE must be release or dev, not $profile" >&2; exit 2 ;;
esac

lock_before="$(sha256sum fuzz/Cargo.lock)"
echo "== cargo fuzz build (${profile})"
start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "built in $((SECONDS - start)) s"
if [ "$(sha256sum fuzz/Cargo.lock)" != "$lock_before" ]; then
    echo "note: fuzz/Cargo.lock changed (a dependency of the node or the targets did); commit it"
fi

# Writes the "## Fuzzing" section of RELIABILITY.md (the other sections are the test suite's):
# per target, the executions, corpus and crashes of this pass.
report_fuzz_pass() {
    python3 - "$seconds" "$profile" "${rows[@]}" <<'PY'
import sys, pathlib, datetime
seconds, profile, rows = sys.argv[1], sys.argv[2], sys.argv[3:]
path = pathlib.Path("RELIABILITY.md")
text = path.read_text() if path.exists() else "# Reliability\n"
body = [
    f"cargo-fuzz targets (fuzz/README.md), {seconds} s each, {profile} build, "
    f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}; written by `fuzz/run.sh`. "
    "A crash is any panic, abort, timeout (20 s) or memory above 2 GiB.",
    "",
    "| target | executions | corpus | crashes |",
    "|---|---:|---:|---:|",
] + [f"| {r.replace(' ', ' | ')} |" for r in rows]
lines = text.splitlines()
try:
    start = lines.index("## Fuzzing")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
except ValueError:
    if lines and lines[-1].strip():
        lines.append("")
    start = end = len(lines)
section = ["## Fuzzing", ""] + body + ([""] if end < len(lines) else [])
path.write_text("\n".join(lines[:start] + section + lines[end:]) + "\n")
PY
}

failed=()
summary=()
rows=()
for t in "${targets[@]}"; do
    work="$target_dir/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    mkdir -p "$work" "$artifacts"
    log="$target_dir/fuzz-$t.log"
    echo "== fuzz $t for ${seconds} s"
    rc=0
    # A unit slower than 10 s is only a finding here if it passes the timeout: libFuzzer's
    # default -report_slow_units=10 would write a slow-unit artifact, counted below as a crash.
    # (ingest_csv's valid tiny survey files take seconds in the interval LPs.)
    cargo fuzz run "${flags[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        -rss_limit_mb=2048 -timeout=20 -report_slow_units=20 >"$log" 2>&1 || rc=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    corpus="$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
    crashes="$(grep -c 'Test unit written to' "$log" || true)"
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1
    fi
    line="$(printf '%-18s executions %9s   corpus %6s   crashes %s' \
        "$t" "${execs:-?}" "${corpus:-?}" "$crashes")"
    echo "$line"
    summary+=("$line")
    rows+=("$t ${execs:-?} ${corpus:-?} $crashes")
    if [ "$crashes" -ne 0 ]; then
        tail -n 60 "$log"
        failed+=("$t")
    fi
done

echo "== fuzz summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
report_fuzz_pass
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashes in ${failed[*]}; inputs under fuzz/artifacts/" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, 0 crashes"
