#!/usr/bin/env bats
# Tamper sweep: one byte flipped at a time at hundreds of offsets over every region of one
# bundle; `ibpack verify` must reject each, the stub must reject each that touches what it uses
# before running anything. Plus concatenated bundles.

load helpers

# sweep_plan BUNDLE: prints "OFFSET REGION ORIG FLIPPED" lines (bytes as \ooo octal escapes for
# printf) for the sweep: every byte of the footer, the padding and the signature block's header,
# every 4th signature byte; evenly spread offsets (first and last included) in the manifest, in
# each package blob and in the stub, plus bytes of the stub's ELF header and trust area.
sweep_plan() {
	eval "$(regions "$1")"
	py - "$1" "$STUB_LEN" "$MANIFEST_OFF" "$MANIFEST_LEN" "$SIGBLOCK_OFF" "$SIGBLOCK_LEN" "$FOOTER_OFF" \
		"$WORK/.regions.json" <<'PY'
import json, sys
path, stub, moff, mlen, soff, slen, foff, mpath = sys.argv[1], *map(int, sys.argv[2:8]), sys.argv[8]
data = open(path, "rb").read()
m = json.load(open(mpath))
plan = {}
def spread(region, start, length, n):
    n = min(n, length)
    for i in range(n):
        plan[start + (length - 1) * i // max(n - 1, 1)] = region
spread("stub", 0, stub, 60)
for o in range(0, 64, 4):
    plan[o] = "stub"                       # ELF header
trust = data.index(b"IBPACK-TRUST-v1\0")
for o in range(trust, trust + 120, 6):
    plan[o] = "stub"                       # magic, length and the first key record
for i, p in enumerate(m["packages"]):
    b = p["blob"]
    spread("selected" if i == 0 else "other:" + p["id"], b["offset"], b["length"], 40 if i == 0 else 15)
spread("manifest", moff, mlen, 60)
for o in range(soff, soff + slen):
    if o < soff + 52 or (o - soff) % 4 == 0:
        plan[o] = "sigblock"               # every header byte, every 4th signature byte
for o in range(soff + slen, foff):
    plan[o] = "padding"
for o in range(foff, foff + 64):
    plan[o] = "footer"
for o in sorted(plan):
    print(o, plan[o], "\\%03o" % data[o], "\\%03o" % (data[o] ^ 0xff))
PY
}

@test "tamper sweep: one flipped byte at 300+ offsets over every region is rejected (verify and stub)" {
	std_bundle
	sysroot root cx6-vf
	sweep_plan b.run >plan.txt
	total=$(wc -l <plan.txt)
	((total >= 300))
	# the expected install (package ofed-ubuntu), for comparing what "installs correctly" ran
	want_args=$'--from\nofed-ubuntu\ntwo words'
	failures=()
	declare -A seen=() installed=() crashed=() rejected=()
	shopt -s nullglob dotglob
	start=$SECONDS
	while read -r off region orig flipped; do
		kind=${region%%:*}
		seen[$kind]=$((${seen[$kind]:-0} + 1))
		printf "$flipped" | dd of=b.run bs=1 seek="$off" conv=notrunc status=none
		vrc=0
		"$IBPACK" verify b.run >verify.out 2>&1 || vrc=$?
		((vrc == 2)) || failures+=("$off ($region): ibpack verify exited $vrc: $(tail -1 verify.out)")
		src=0
		timeout 30 ./b.run --reinstall --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" \
			--lock-wait 0 >stub.out 2>&1 || src=$?
		printf "$orig" | dd of=b.run bs=1 seek="$off" conv=notrunc status=none
		ran=0
		[[ -e $OUT/ofed-ubuntu.args ]] && ran=1
		left=("$WORK"/tmp/*)
		((${#left[@]} == 0)) || failures+=("$off ($region): temp dir left behind: ${left[*]}")
		rm -rf "${left[@]}"
		others=("$OUT"/*)
		for f in "${others[@]}"; do
			[[ $f == "$OUT"/ofed-ubuntu.* ]] || failures+=("$off ($region): another package's installer ran: $f")
		done
		case $kind in
		selected | manifest | sigblock | padding | footer)
			# what the stub needs: refused with 2 before anything runs
			((src == 2 && !ran)) || failures+=("$off ($region): stub exited $src, installer ran: $ran: $(tail -1 stub.out)")
			;;
		other)
			# another package's blob is never read: the selected one installs as usual
			((src == 0 && ran)) && [[ $(cat "$OUT/ofed-ubuntu.args") == "$want_args" ]] ||
				failures+=("$off ($region): stub exited $src (ran: $ran), expected a normal install: $(tail -1 stub.out)")
			;;
		stub)
			# the stub's own bytes: a correct install, or a refusal or crash before anything ran
			if ((src == 0 && ran)) && [[ $(cat "$OUT/ofed-ubuntu.args") == "$want_args" ]]; then
				installed[stub]=$((${installed[stub]:-0} + 1))
			elif ((src == 2 && !ran)); then
				rejected[stub]=$((${rejected[stub]:-0} + 1))
			elif ((src != 0 && !ran)); then
				crashed[stub]=$((${crashed[stub]:-0} + 1))
			else
				failures+=("$off ($region): stub exited $src, installer ran: $ran: $(tail -1 stub.out)")
			fi
			;;
		esac
		rm -f "$OUT"/*
	done <plan.txt
	cmp -s b.run "$STD_CACHE/b.run" || failures+=("the bundle was not restored")
	summary="$total offsets in $((SECONDS - start)) s:"
	for k in "${!seen[@]}"; do summary+=" $k=${seen[$k]}"; done
	summary+="; stub flips: ${rejected[stub]:-0} refused by the self-check or trust area (exit 2),"
	summary+=" ${crashed[stub]:-0} failed to run, ${installed[stub]:-0} still installed correctly"
	echo "# $summary" >&3
	if ((${#failures[@]})); then
		printf '%s\n' "${failures[@]}"
		false
	fi
	# every region was swept
	for k in stub selected other manifest sigblock footer; do ((${seen[$k]:-0} > 0)) || { echo "no $k offset"; false; }; done
}

@test "tamper: two bundles concatenated are refused by verify and the stub, naming the extra data" {
	std_bundle
	sysroot root cx6-vf
	cat b.run b.run >double.run
	chmod +x double.run
	run "$IBPACK" verify double.run
	assert_status 2
	assert_output "footer" "were added after a bundle" "concatenated"
	run stub ./double.run --sysroot root
	assert_status 2
	assert_output "footer" "concatenated"
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
	run ./double.run --list
	assert_status 2
}

@test "tamper: the stub checks its own bytes before installing (a damaged but runnable stub exits 2)" {
	std_bundle
	sysroot root cx6-vf
	# A byte in the unused tail of the trust area: read by nothing, so the stub runs normally;
	# only the hash of its own bytes against the signed manifest notices.
	area=$(py -c 'import sys; d = open("b.run", "rb").read(); print(d.index(b"IBPACK-TRUST-v1\0"))')
	flip b.run $((area + 32000))
	run stub ./b.run --sysroot root --list
	assert_status 0
	run stub ./b.run --sysroot root
	assert_status 2
	assert_output "its own bytes do not match" "ibpack verify"
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
	[[ ! -e state/state.json ]]
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "stub"
}

@test "tamper: truncated, empty and extended bundles fail the install with exit 2 and run nothing" {
	std_bundle
	sysroot root cx6-vf
	eval "$(regions b.run)"
	tail -c 64 b.run >footer.bin
	# (cut inside the stub, the file is no longer a runnable program: `ibpack verify` covers that)
	for how in truncate1 payload-cut garbage footer-copy; do
		cp "$STD_CACHE/b.run" t.run
		case $how in
		truncate1) truncate_by t.run 1 ;;
		payload-cut) truncate -s $((STUB_LEN + 100)) t.run ;;
		garbage) printf 'garbage' >>t.run ;;
		footer-copy) cat footer.bin >>t.run ;;
		esac
		run stub ./t.run --sysroot root
		[[ $status -eq 2 ]] || { echo "$how: exit $status: $output"; false; }
		assert_output "footer"
		[[ -z $(ls -A "$OUT") ]]
	done
	: >empty.run
	run "$IBPACK" verify empty.run
	assert_status 2
	assert_output "too small"
	dir_empty tmp
}
