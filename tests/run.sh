#!/usr/bin/env bash
# Runs the unit tests (cmocka) and the CLI tests (bats) and ends with "N passed, N failed".
# usage: tests/run.sh [unit|cli|all]   (BUILD selects the build tree, default build)
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
passed=0
failed=0
failures=()

if [[ $what == unit || $what == all ]]; then
	for t in "$BUILD"/tests/test_*; do
		[[ -x $t ]] || continue
		name=$(basename "$t")
		# cmocka's TAP output: one "ok"/"not ok" line per test.
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
		rc=$?
		p=$(grep -cE '^ok ' <<<"$out")
		f=$(grep -cE '^not ok ' <<<"$out")
		if ((rc != 0 && f == 0)); then f=1; fi
		passed=$((passed + p))
		failed=$((failed + f))
		if ((f > 0)); then
			failures+=("unit/$name")
			echo "$out" | grep -E '^not ok|#' | head -40
		fi
		echo "unit $name: $p passed, $f failed"
	done
	# Fuzz regression: every target over its seed corpus (and what make fuzz found, if kept).
	for t in "$BUILD"/tests/fuzzreplay_*; do
		[[ -x $t ]] || continue
		name=${t##*/fuzzreplay_}
		if out=$("$t" "$BUILD/fuzz/corpus/$name" "tests/fuzz/corpus/$name" "$BUILD/fuzz/work/$name" 2>&1); then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			failures+=("fuzz replay $name")
			echo "$out" | tail -20
		fi
		echo "fuzz replay $name: $(grep -E '^(not )?ok' <<<"$out" | head -1)"
	done
fi

if [[ $what == cli || $what == all ]]; then
	export IBPACK_BUILD=$PWD/$BUILD
	shopt -s nullglob
	files=(tests/bats/*.bats)
	if ((${#files[@]})); then
		tap=$(mktemp)
		bats --tap "${files[@]}" | tee "$tap"
		p=$(grep -cE '^ok ' "$tap")
		f=$(grep -cE '^not ok ' "$tap")
		passed=$((passed + p))
		failed=$((failed + f))
		((f > 0)) && failures+=("cli: $(grep -E '^not ok ' "$tap" | head -20 | tr '\n' ';')")
		rm -f "$tap"
		echo "cli: $p passed, $f failed"
	fi
fi

for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
((failed == 0))
