#!/usr/bin/env bats
# make bench in its quick mode: the bench runs end to end and prints every row. Benchmarks are
# not timed tests: no figure is judged here (docs/PERFORMANCE.md records a full run).

load helpers

@test "the bench (BENCH_QUICK=1) runs and prints every comparison, the peak RSS and the scaling table" {
	command -v makeself >/dev/null || skip "makeself is not installed (bash scripts/setup.sh bench)"
	[[ -x /usr/bin/time ]] || skip "GNU time is not installed (bash scripts/setup.sh bench)"
	BENCH_QUICK=1 run --separate-stderr bash "$REPO/tests/bench/bench.sh" "$IBPACK_BUILD" "$WORK/bench"
	assert_status 0
	assert_output \
		"build vs makeself --nocomp --sha256" \
		"build vs makeself (gzip)" \
		"build, cold inputs, vs makeself --nocomp --sha256" \
		"extract one package vs makeself extraction" \
		"extract one package vs tar -x of that package" \
		"install one package vs makeself run" \
		"--list vs makeself --list" \
		"--detect vs makeself --list" \
		"verify vs sha256sum of the inputs" \
		"verify vs sha256sum of the bundle (same bytes)" \
		"stub peak RSS" \
		"scaling:"
	# Every comparison row carries two times and a ratio; the scaling table has its 1-package
	# row, the full bundle and the many-package bundle (20 packages, 64 KiB chunks).
	[[ $(grep -cE ' s +[0-9.]+ s +[0-9.]+x ' <<<"$output") -eq 10 ]]
	assert_not_contains "$output" " 0.00x" "nan" "inf"
	grep -qE '^s1 +1 ' <<<"$output"
	grep -qE '^s4 +4 ' <<<"$output"
	grep -qE '^full +5 ' <<<"$output"
	grep -qE '^many +20 ' <<<"$output"
	assert_contains "$output" "(quick run: not judged)"
	# The bench leaves no temp dirs of the installs it ran behind.
	dir_empty "$WORK/bench/tmp"
}
