#!/usr/bin/env bats
# ibpack matrix: the OS x NIC grid of a spec or bundle in text, Markdown, JSON and one
# self-contained HTML page (rendered by headless Chromium, a screenshot kept under build/), the
# filters, and the Markdown copies in README.md and docs/SPEC.md (make docs-matrix) kept current.

load helpers

LINUX26=$REPO/bundles/hpc-linux-2026.json
WIN26=$REPO/bundles/hpc-windows-2026.json

@test "matrix text: rows are OS entries, columns NIC models, numbers name the packages below" {
	run "$IBPACK" matrix "$LINUX26"
	assert_status 0
	assert_output "hpc-linux-2026 2026.12.0 (linux-x86_64): OS x NIC -> package" \
		"OS \\ NIC        cx3  cx3pro  cib  cx4  cx5  cx5ex  cx6  cx7  cx8  bf2  bf3" \
		"ubuntu-22.04    9    9       9    6    1    1      1    1    1    1    1" \
		"almalinux-9.*   -    -       -    -    4    4      4    4    4    4    4" \
		" 1  doca-3.2.1-ubuntu22.04: DOCA-Host 3.2.1-044000 (OFED 25.10), kernel 5.15.0-*-azure" \
		" 5  azl3-mlnx-ofa-kernel: Azure Linux mlnx-ofa_kernel in-distro, kernel 6.6.*.azl3"
	# No trailing blanks on the grid lines
	! grep -q ' $' <<<"$output"
}

@test "matrix json: every cell is what plan selects for that OS and NIC" {
	for spec in "$LINUX26" "$WIN26" "$REPO/bundles/azure-hpc-linux.json"; do
		run "$IBPACK" matrix "$spec" --format json
		assert_status 0
		py - "$IBPACK" "$spec" "$output" <<'PY'
import json, subprocess, sys
ibpack, spec, out = sys.argv[1:]
d = json.loads(out)
assert d["rows"] and d["nics"], d
for row in d["rows"]:
    assert sorted(row["cells"]) == sorted(d["nics"]), row
    for nic, ids in row["cells"].items():
        r = subprocess.run([ibpack, "plan", spec, "--os", row["os"], "--nic", nic, "--json"],
                           capture_output=True, text=True)
        p = json.loads(r.stdout)["package"]
        assert (ids[0] if ids else None) == p, (row["os"], nic, ids, p)
ids = {p["id"] for p in d["packages"]}
assert ids == {i for r in d["rows"] for c in r["cells"].values() for i in c}, ids
PY
	done
}

@test "matrix markdown: one grid row per OS, the packages with versions and kernels in a table" {
	run "$IBPACK" matrix "$LINUX26" --format markdown
	assert_status 0
	assert_output "| OS \\ NIC | cx3 | cx3pro | cib | cx4 | cx5 | cx5ex | cx6 | cx7 | cx8 | bf2 | bf3 |" \
		"| \`ubuntu-24.04\` | - | - | - | \`mofed-24.10-ubuntu24.04\` | \`doca-3.2.3-ubuntu24.04\` |" \
		"| \`doca-3.2.2-el9\` | DOCA-Host | 3.2.2-035000 (OFED 25.10) | \`5.14.0-*.el9_*.x86_64\` |"
	# Every grid line has as many cells as the header
	py - "$output" <<'PY'
import sys
lines = [l for l in sys.argv[1].splitlines() if l.startswith("| ")]
grid = [l for l in lines if l.count("|") == lines[0].count("|")]
assert len(grid) == 8, grid  # the header and seven OS rows
PY
}

@test "matrix filters: --os patterns keep rows, --nic keeps columns; nothing left is exit 3" {
	run "$IBPACK" matrix "$LINUX26" --os 'ubuntu-*' --nic cx4 --nic cx8 --format json
	assert_status 0
	json_assert "$output" '[r["os"] for r in d["rows"]] == ["ubuntu-22.04", "ubuntu-24.04"]' 'd["nics"] == ["cx4", "cx8"]' \
		'sorted(p["id"] for p in d["packages"]) == ["doca-3.2.1-ubuntu22.04", "doca-3.2.3-ubuntu24.04", "mofed-24.10-ubuntu22.04", "mofed-24.10-ubuntu24.04"]'
	run "$IBPACK" matrix "$WIN26" --os windows-10
	assert_status 3
	assert_output "no package matches the --os/--nic filters"
	run "$IBPACK" matrix "$WIN26" --format xml
	assert_status 1
	run "$IBPACK" matrix "$WIN26" --nic cx99
	assert_status 1
	run "$IBPACK" matrix
	assert_status 1
}

@test "matrix of a bundle is the matrix of its spec" {
	mkdir -p stand
	py - "$LINUX26" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
for p in doc["packages"]:
    p.pop("sha256", None)
    p.pop("artifact", None)
    p["source"] = "stand/" + p["id"]
    open(p["source"], "w").write("stand-in\n")
json.dump(doc, open("linux.json", "w"))
PY
	key k
	"$IBPACK" build linux.json -k k.key -o linux.run -q
	run "$IBPACK" matrix linux.run --format markdown -p k.pub
	assert_status 0
	[[ $output == "$("$IBPACK" matrix linux.json --format markdown)" ]]
	[[ $output == "$("$IBPACK" matrix "$LINUX26" --format markdown)" ]]
}

@test "matrix html: one self-contained page, escaped text, a colour per product" {
	new_spec
	spec_pkg a ubuntu-22.04 cx7 name='<Vendor & "Co">' json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15.0-*-azure"]}}'
	spec_pkg b ubuntu-22.04 cx6 name=Other
	write_spec spec.json
	run "$IBPACK" matrix spec.json --format html
	assert_status 0
	assert_output "<!DOCTYPE html>" "Content-Security-Policy" "default-src 'none'" \
		"&lt;Vendor &amp; &quot;Co&quot;&gt;" "kernel 5.15.0-*-azure" "background:hsl("
	assert_not_contains "$output" "<Vendor"
	# Nothing external: no script, no link, no src or href, no URL
	! grep -Eiq '<script|<link|<img|src=|href=|https?://|url\(' <<<"$output"
	# Two products, two colours
	[[ $(grep -o 'background:hsl([0-9]*,' <<<"$output" | sort -u | wc -l) -eq 2 ]]
}

@test "matrix html: headless Chromium renders the 2026 Linux grid; the screenshot is kept under build/artifacts" {
	e2e_only
	local chrome
	chrome=$(command -v chromium || command -v chromium-browser || true)
	[[ -n $chrome ]] || skip "chromium is not installed (bash scripts/setup.sh test)"
	"$IBPACK" matrix "$LINUX26" --format html >matrix.html
	mkdir -p "$IBPACK_BUILD/artifacts"
	png=$IBPACK_BUILD/artifacts/matrix-hpc-linux-2026.png
	rm -f "$png"
	# The DOM Chromium built: every OS row and NIC column became table cells.
	run timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/profile" \
		--dump-dom "file://$WORK/matrix.html"
	assert_status 0
	py - "$output" <<'PY'
import re, sys
dom = sys.argv[1]
assert len(re.findall(r"<tbody>", dom)) == 2, "two tables"
rows = re.findall(r"<tr><th>([^<]+)</th>", dom)
assert rows[1:8] == ["ubuntu-22.04", "ubuntu-24.04", "almalinux-8.10", "rocky-8.10", "almalinux-9.*", "rocky-9.*", "azurelinux-3.0"], rows
assert dom.count('class="none"') == 15, dom.count('class="none"')
PY
	run timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/profile" \
		--hide-scrollbars --window-size=1920,1080 --screenshot="$png" "file://$WORK/matrix.html"
	assert_status 0
	# A PNG of the window's size with the grid's colours in it (not a blank page).
	py - "$png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (w, h) == (1920, 1080), (w, h)
assert depth == 8 and ctype in (2, 6), (depth, ctype)
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw, bpp = zlib.decompress(idat), 3 if ctype == 2 else 4
stride, prev, colours = w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        colours.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp * 4))
    prev = line
saturated = {c for c in colours if max(c) - min(c) > 40}
assert len(saturated) >= 3, "expected the grid's colours, found %d saturated colours" % len(saturated)
PY
}

@test "docs: the Markdown matrices in README.md and docs/SPEC.md are current (make docs-matrix)" {
	run bash "$REPO/scripts/docs-matrix.sh" "$IBPACK" --check
	echo "$output"
	assert_status 0
	for spec in hpc-linux-2026 hpc-windows-2026; do
		grep -q "<!-- ibpack matrix bundles/$spec.json -->" "$REPO/README.md"
		grep -q "<!-- ibpack matrix bundles/$spec.json -->" "$REPO/docs/SPEC.md"
	done
}
