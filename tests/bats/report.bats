#!/usr/bin/env bats
# ibpack report: the fleet at a glance from real per-node results (the stub's --json lines) in
# a directory, single files and pdsh-style "NODE: {...}" output; the HTML page is rendered by
# headless Chromium, whose screenshot is kept under $IBPACK_BUILD/artifacts/.

load helpers

# fleet_results DIR: one result file per simulated node, from real runs of the test bundle
fleet_results() {
	local dir=$1
	std_bundle
	mkdir -p "$dir"
	cp b.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((MANIFEST_OFF + 10))
	node() { # NAME BUNDLE SYSROOT-PRESET [stub args]
		local name=$1 b=$2 preset=$3
		shift 3
		rm -rf "root-$name" "state-$name" && sysroot "root-$name" $preset
		# each node keeps its own install record (--sysroot only says what detection sees)
		stub "./$b" --sysroot "root-$name" --state-dir "$WORK/state-$name" --json "$@" >"$dir/$name.json" 2>/dev/null || true
	}
	node n01 b.run cx6-vf
	node n02 b.run cx6-vf
	# second run: already_installed
	stub ./b.run --sysroot root-n02 --state-dir "$WORK/state-n02" --json >"$dir/n02.json" 2>/dev/null
	IBT_RC=194 node n03 b.run cx6-vf
	node n04 b.run eth-vf
	node n05 b.run "cx6-vf --os sles 15.4"
	IBT_RC=1 node n06 b.run cx6-vf
	node n07 bad.run cx6-vf
	# a hostile message must not become markup
	printf '{"schema":1,"result":"failed","exit_code":14,"message":"<script>alert(1)</script> | *x*","reboot_required":false,"reboot_pending":false}\n' >"$dir/n08.json"
}

@test "report: text output counts results and packages, lists reboots and failures" {
	fleet_results res
	run --separate-stderr "$IBPACK" report res
	assert_status 0
	assert_output "8 nodes: 3 ok, 2 nothing to install, 3 failed, reboot pending on 1" \
		"by result:" "by package and version:" "ofed-ubuntu 1.0-ofed-ubuntu" \
		"need a reboot (1): n03" "failed (3):" "n06: failed (exit 14): installer exited with 1" \
		"n07: invalid (exit 2):"
	[[ $output =~ installed\ +1 && $output =~ already_installed\ +1 && $output =~ no_device\ +1 ]]
	[[ $output =~ os_unsupported\ +1 && $output =~ ofed-ubuntu\ 1.0-ofed-ubuntu\ +3 ]]
	run --separate-stderr "$IBPACK" report res --format json
	json_assert "$output" "d['nodes'] == 8" "d['failed'] == 3" "d['by_result']['already_installed'] == 1" \
		"d['by_package'] == {'ofed-ubuntu 1.0-ofed-ubuntu': 3}" "d['reboot_pending'] == ['n03']" \
		"[n['node'] for n in d['failed_nodes']] == ['n06', 'n07', 'n08']"
}

@test "report: markdown output has the tables and escapes node text" {
	fleet_results res
	run --separate-stderr "$IBPACK" report res --format markdown
	assert_status 0
	assert_output "# InfiniBand driver rollout: 8 nodes" "| result | nodes |" "| installed | 1 |" \
		"| no\\_device | 1 |" "| ofed-ubuntu 1.0-ofed-ubuntu | 3 |" "## Need a reboot (1)" "- n03" \
		"| node | result | exit | message |" "| n06 | failed | 14 |" "&lt;script&gt;" "\\| \\*x\\*"
	assert_not_contains "$output" "<script>"
}

@test "report: pdsh/clush output files and single files; unreadable nodes are failures" {
	fleet_results res
	for f in res/n01.json res/n04.json res/n07.json; do
		n=$(basename "$f" .json)
		printf '%s: %s\n' "$n" "$(cat "$f")"
	done >pdsh.out
	printf 'n99: ssh: connect to host n99 port 22: Connection refused\n' >>pdsh.out
	run --separate-stderr "$IBPACK" report pdsh.out res/n03.json --format json
	assert_status 0
	json_assert "$output" "d['nodes'] == 5" "d['by_result']['unreadable'] == 1" \
		"sorted(n['node'] for n in d['failed_nodes']) == ['n07', 'n99']" "d['reboot_pending'] == ['n03']"
}

@test "report: errors: no input, a missing path, an empty directory, a bad format" {
	run "$IBPACK" report
	assert_status 1
	run "$IBPACK" report res --format pdf
	assert_status 1
	assert_output "unknown --format 'pdf'"
	run "$IBPACK" report missing-dir
	assert_status 3
	assert_output "missing-dir"
	mkdir empty
	run "$IBPACK" report empty
	assert_status 3
	assert_output "no node results"
}

@test "report: the HTML is one self-contained page that headless Chromium renders (screenshot kept)" {
	e2e_only
	command -v chromium >/dev/null || skip "chromium is not installed (bash scripts/setup.sh test)"
	fleet_results res
	run --separate-stderr "$IBPACK" report res --format html -o report.html
	assert_status 0
	html=$(cat report.html)
	assert_contains "$html" "<svg id=\"chart\"" "<table id=\"nodes\"" "&lt;script&gt;alert(1)&lt;/script&gt;"
	assert_not_contains "$html" "<script" "src=" "href=" "url(" "@import"
	# no network: a page that needed any external asset would show it in the console log
	run unshare -n chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
		--dump-dom "file://$WORK/report.html"
	assert_status 0
	assert_contains "$output" "id=\"summary\">3 ok, 2 nothing to install, 3 failed, reboot pending on 1." \
		"<rect class=\"bar ok\"" "n07"
	if grep -E "CONSOLE|Failed to load|net::ERR|Uncaught" <<<"$output"; then
		echo "the page logged errors"
		return 1
	fi
	mkdir -p "$IBPACK_BUILD/artifacts"
	rm -f "$IBPACK_BUILD/artifacts/fleet-report.png"
	run unshare -n chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,900 \
		--screenshot="$IBPACK_BUILD/artifacts/fleet-report.png" "file://$WORK/report.html"
	assert_status 0
	[[ $(stat -c %s "$IBPACK_BUILD/artifacts/fleet-report.png") -gt 10000 ]]
	py - "$IBPACK_BUILD/artifacts/fleet-report.png" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1100, 900), (w, h)
PY
}

@test "report: the pdsh and clush recipes of docs/FLEET.md collect one JSON line per node" {
	command -v pdsh >/dev/null && command -v clush >/dev/null || skip "pdsh or clush missing (bash scripts/setup.sh test)"
	std_bundle
	sysroot root-n1 cx6-vf
	sysroot root-n2 none
	sysroot root-n3 cx6-vf --os sles 15.4
	# "ssh node" stands in for: run the bundle on that node (-R exec runs it here, per node)
	cat >node-run <<EOF2
#!/bin/sh
exec "$WORK/b.run" --sysroot "$WORK/root-\$1" --log-file "$WORK/\$1.log" --tmpdir "$WORK/tmp" --json 2>/dev/null
EOF2
	chmod +x node-run
	mkdir results
	pdsh -R exec -w 'n[1-3]' ./node-run %h |
		while IFS= read -r line; do printf '%s\n' "${line#*: }" >"results/${line%%: *}.json"; done
	[[ $(ls results) == $'n1.json\nn2.json\nn3.json' ]]
	for n in n1 n2 n3; do [[ $(wc -l <"results/$n.json") == 1 ]]; done
	run --separate-stderr "$IBPACK" report results
	assert_output "3 nodes: 1 ok, 2 nothing to install, 0 failed"
	# again with clush into one file of "node: {...}" lines: the nodes are installed already
	clush -R exec -w 'n[1-3]' ./node-run %h >fleet.out
	[[ $(wc -l <fleet.out) == 3 ]]
	run --separate-stderr "$IBPACK" report fleet.out --format json
	json_assert "$output" "d['nodes'] == 3" "d['by_result'] == {'already_installed': 1, 'no_device': 1, 'os_unsupported': 1}"
}
