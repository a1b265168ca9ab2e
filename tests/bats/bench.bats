#!/usr/bin/env bats
# make bench in its quick mode: the bench runs end to end and prints every row. Benchmarks are
# not timed tests: no figure is judged here (docs/PERFORMANCE.md records a full run).

load helpers

@test "the bench (BENCH_QUICK=1) runs and prints every comparison, the peak RSS and the scaling table" {
	command -v makeself >/dev/null || skip "makeself is not installed (bash scripts/setup.sh bench)"
	[[ -x /usr/bin/time ]] || skip "GNU time is not installed (bash scripts/setup.sh bench)"
	BENCH_QUICK=1 BENCH_SCALE=1 run --separate-stderr bash "$REPO/tests/bench/bench.sh" "$IBPACK_BUILD" "$WORK/bench"
	assert_status 0
	assert_output \
		"build vs makeself --nocomp --sha256" \
		"build vs makeself (gzip)" \
		"build (incompressible) vs cat into one file" \
		"build (incompressible) vs cat + sync --data" \
		"build hashing floor (incompressible packages): 3 SHA-256 streams" \
		"build, cold inputs, vs makeself --nocomp --sha256" \
		"extract one package vs makeself extraction" \
		"extract one package vs tar -x of that package" \
		"extract, read-ahead off, vs tar -x" \
		"install one package vs tar -x of that package" \
		"install one package vs makeself run" \
		"--list vs makeself --list" \
		"--detect vs makeself --list" \
		"verify vs sha256sum of the inputs" \
		"verify vs sha256sum of the bundle (same bytes)" \
		"4 concurrent installs (cold) vs 4 makeself runs" \
		"storage reads (cold cache, read_bytes): one install" \
		"scale bundle: build vs cat of the inputs" \
		"scale bundle: build vs cat + sync --data" \
		"scale bundle: verify vs sha256sum of the bundle" \
		"scale bundle: extract one package vs tar -x" \
		"stub peak RSS" \
		"scaling:"
	# Every comparison row carries two times and a ratio; the scaling table has its 1-package
	# row, the full bundle, the many-package bundle (20 packages, 64 KiB chunks) and the sparse
	# synthetic one (20 packages).
	[[ $(grep -cE ' s +[0-9.]+ s +[0-9.]+x ' <<<"$output") -eq 19 ]]
	assert_not_contains "$output" " 0.00x" "nan" "inf"
	grep -qE '^s1 +1 ' <<<"$output"
	grep -qE '^s4 +4 ' <<<"$output"
	grep -qE '^full +5 ' <<<"$output"
	grep -qE '^many +20 ' <<<"$output"
	grep -qE '^synth +20 ' <<<"$output"
	grep -qE '^s10g +3 ' <<<"$output"
	assert_contains "$output" "(quick run: not judged)"
	# The bench leaves no temp dirs of the installs it ran behind.
	dir_empty "$WORK/bench/tmp"
}
