# Shared setup for the ibpack CLI tests: a work dir per test, generated packages, specs, keys,
# bundles, fixture sysroots, byte flips and small JSON/output assertions (no bats libraries needed).
#
# Each test runs in its own $WORK (mktemp -d), removed when the test passes and kept (its path is
# printed) when it fails. Everything binary is generated here at test time.

# shellcheck disable=SC2154 # status, output and stderr are set by bats' run

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
IBPACK_BUILD=${IBPACK_BUILD:-$REPO/build}
IBPACK=$IBPACK_BUILD/bin/ibpack
STUB=$IBPACK_BUILD/lib/ibpack/stub-linux-x86_64
MKSYSROOT=$REPO/tests/fixtures/mksysroot.sh
# shellcheck disable=SC2034 # for the test files
ND_CLASS='{8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501}'
# The system interpreter directly: version-manager shims cost ~0.2 s per call.
PYTHON=python3
[[ -x /usr/bin/python3 ]] && PYTHON=/usr/bin/python3

# e2e_only: marks a slow end-to-end test (debootstrap, DKMS, Ansible, real Windows installers,
# a browser). Those run once, in the regular pass; the sanitizer pass sets IBPACK_SKIP_E2E=1.
e2e_only() {
	[[ ${IBPACK_SKIP_E2E:-0} != 1 ]] || skip "end-to-end test: runs in the regular pass only"
}

# py ARGS...: Python 3 (stdlib only).
py() { "$PYTHON" "$@"; }

setup() {
	[[ -x $IBPACK && -x $STUB ]] || {
		echo "ibpack or its stub is missing under $IBPACK_BUILD: run make" >&2
		return 1
	}
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ibpack-bats.XXXXXX")
	OUT=$WORK/out        # where test installers record what they saw
	mkdir -p "$OUT" "$WORK/tmp"
	export IBT_OUT=$OUT
	# Installers get a fixed environment; these are the test installers' own inputs.
	export IBPACK_PASS_ENV=IBT_OUT,IBT_RC,IBT_SLEEP,IBT_SIGNAL
	# This test's own host trust store (never the machine's /etc/ibpack/trusted.d): build_bundle
	# and std_bundle put their signing key there, as an admin would after checking it.
	export IBPACK_TRUST_DIR=$WORK/trusted.d
	mkdir -p "$IBPACK_TRUST_DIR"
	# This test's own install record and lock (never the machine's /var/lib/ibpack): --sysroot
	# only says where detection reads, the installer and its record are the host's.
	export IBPACK_STATE_DIR=$WORK/state
	unset IBT_RC IBT_SLEEP IBPACK_SYSROOT IBPACK_STUB_DIR SOURCE_DATE_EPOCH
	cd "$WORK" || return 1
}

teardown() {
	cd / || true
	[[ -n ${WORK:-} && -d $WORK ]] || return 0
	if [[ -n ${BATS_TEST_COMPLETED:-} ]]; then
		rm -rf "$WORK"
	else
		echo "# kept work dir: $WORK" >&3
	fi
}

# ---- assertions -------------------------------------------------------------------------------

# assert_status N: the last `run` exited with N.
assert_status() {
	if [[ $status -ne $1 ]]; then
		echo "expected exit $1, got $status"
		echo "--- output:"
		echo "$output"
		[[ -z ${stderr+x} ]] || { echo "--- stderr:"; echo "$stderr"; }
		return 1
	fi
}

# assert_contains TEXT NEEDLE...: every NEEDLE occurs in TEXT.
assert_contains() {
	local text=$1 n
	shift
	for n in "$@"; do
		if [[ $text != *"$n"* ]]; then
			echo "expected to find: $n"
			echo "--- in:"
			echo "$text"
			return 1
		fi
	done
}

assert_not_contains() {
	local text=$1 n
	shift
	for n in "$@"; do
		if [[ $text == *"$n"* ]]; then
			echo "did not expect: $n"
			echo "--- in:"
			echo "$text"
			return 1
		fi
	done
}

# assert_output NEEDLE...: stdout (and stderr, unless run --separate-stderr) holds every NEEDLE.
assert_output() { assert_contains "$output" "$@"; }
assert_stderr() { assert_contains "$stderr" "$@"; }

# json_get JSON EXPR: prints Python EXPR evaluated with d = the parsed JSON (strings bare,
# anything else as JSON). Fails when JSON does not parse.
json_get() {
	py -c '
import json, sys
d = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# json_assert JSON EXPR...: every Python EXPR (with d = the parsed JSON) is true.
json_assert() {
	py -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError as e:
    sys.exit("not JSON (%s):\n%s" % (e, sys.argv[1]))
for expr in sys.argv[2:]:
    try:
        ok = eval(expr)
    except Exception as e:
        ok = False
        print("error in %s: %r" % (expr, e))
    if not ok:
        sys.exit("JSON check failed: %s\n%s" % (expr, json.dumps(d, indent=1)))' "$@"
}

# file_mode PATH: octal permission bits.
file_mode() { stat -c '%a' "$1"; }

# ---- keys ---------------------------------------------------------------------------------------

# key NAME: creates NAME.key/NAME.pub in the cwd once, and trusts it in this test's host trust
# store (tests of untrusted signers make their keys with keygen directly).
key() {
	[[ -f $1.key ]] || "$IBPACK" keygen -o "$1" >/dev/null
	trust_key "$1"
}

# trust_key NAME: puts NAME.pub into this test's host trust store ($IBPACK_TRUST_DIR).
trust_key() {
	cp "$1.pub" "$IBPACK_TRUST_DIR/$(basename "$1").pub"
}

# key_id NAME: SHA-256 of NAME.pub's SubjectPublicKeyInfo DER, computed with stock OpenSSL.
key_id() {
	openssl pkey -pubin -in "$1.pub" -outform DER | sha256sum | cut -c1-64
}

# ---- packages -------------------------------------------------------------------------------------

# make_pkg DIR ID: a package source whose install.sh records, in $IBT_OUT, its arguments
# (ID.args, one per line), working directory (ID.cwd) and environment (ID.env), prints a line,
# then exits with $IBT_RC, else the number in its own exit_code file, else 0. With $IBT_SLEEP it
# first starts `sleep 300 &` (pid in ID.child), records its own pid (ID.pid) and sleeps that long.
make_pkg() {
	local dir=$1 id=$2
	mkdir -p "$dir/doc"
	cat >"$dir/install.sh" <<EOF
#!/bin/sh
out=\${IBT_OUT:?IBT_OUT is not set}
: >"\$out/$id.args"
for a in "\$@"; do printf '%s\n' "\$a" >>"\$out/$id.args"; done
pwd >"\$out/$id.cwd"
env >"\$out/$id.env"
echo "installer $id: running with \$# arguments"
if [ -n "\${IBT_SLEEP:-}" ]; then
	sleep 300 &
	echo \$! >"\$out/$id.child"
	echo \$\$ >"\$out/$id.pid"
	sleep "\$IBT_SLEEP"
fi
code=0
[ -f ./exit_code ] && code=\$(cat ./exit_code)
[ -n "\${IBT_RC:-}" ] && code=\$IBT_RC
echo "installer $id: exit \$code"
exit "\$code"
EOF
	chmod 755 "$dir/install.sh"
	printf 'package %s\nThis text repeats so that it compresses well.\n' "$id" >"$dir/README"
	for _ in 1 2 3 4 5 6; do cat "$dir/README" "$dir/README" >"$dir/doc/r" && cat "$dir/doc/r" >>"$dir/README"; done
	printf 'data of %s\n' "$id" >"$dir/doc/notes.txt"
	chmod 600 "$dir/doc/notes.txt"
	rm -f "$dir/doc/r"
}

# ---- specs ----------------------------------------------------------------------------------------

SPEC_PKGS=()

# new_spec: starts an empty package list.
new_spec() { SPEC_PKGS=(); }

# spec_pkg ID OS,OS NIC,NIC [key=value...]: adds a package (source pkgs/ID, created with make_pkg
# unless source= is given). Keys: name version priority timeout command (JSON array) success
# reboot (comma lists) source sha256 compression, or json='{"raw": "members"}' merged last.
# The default command is make_pkg's ./install.sh; a source= without an install.sh in it gets
# /bin/sh -c 'exit 0' instead, since build refuses a program that is not in the package.
spec_pkg() {
	local id=$1 json
	json=$(py - "$@" <<'PY'
import json, os, sys
a = sys.argv[1:]
id_, os_, nic = a[0], a[1], a[2]
kv = dict(x.split("=", 1) for x in a[3:])
codes = lambda s: [int(c) for c in s.split(",") if c != ""]
p = {
    "id": id_, "name": kv.get("name", "Test " + id_), "version": kv.get("version", "1.0-" + id_),
    "source": kv.get("source", "pkgs/" + id_),
    "match": {"os": os_.split(","), "nic": nic.split(",")},
    "priority": int(kv.get("priority", 0)),
    "install": {
        "command": json.loads(kv["command"]) if "command" in kv else
                   ["./install.sh", "--from", id_, "two words"] if "source" not in kv or os.path.isfile(kv["source"] + "/install.sh") else
                   ["/bin/sh", "-c", "exit 0"],
        "timeout": int(kv.get("timeout", 60)),
        "success_codes": codes(kv.get("success", "0")),
        "reboot_codes": codes(kv.get("reboot", "194")),
    },
}
for k in ("sha256", "compression"):
    if k in kv:
        p[k] = kv[k]
p.update(json.loads(kv.get("json", "{}")))
print(json.dumps(p))
PY
) || return 1
	SPEC_PKGS+=("$json")
	if [[ " ${*:4} " != *" source="* && ! -d pkgs/$id ]]; then
		make_pkg "pkgs/$id" "$id"
	fi
}

# write_spec FILE [name] [sequence]: writes the spec with the packages added so far.
write_spec() {
	local file=$1 name=${2:-testbundle} seq=${3:-7} IFS=,
	mkdir -p "$(dirname "$file")"
	cat >"$file" <<EOF
{ "name": "$name", "version": "1.2.3", "sequence": $seq, "target": "linux-x86_64",
  "description": "bats test bundle",
  "packages": [ ${SPEC_PKGS[*]} ] }
EOF
}

# build_bundle [SPEC] [OUT] [KEY]: builds OUT (default b.run) from SPEC (default spec.json) with
# KEY (default k, created when missing); fails the test when the build fails.
build_bundle() {
	local spec=${1:-spec.json} out=${2:-b.run} k=${3:-k}
	key "$k"
	trust_key "$k"
	"$IBPACK" build "$spec" -k "$k.key" -o "$out" -q || {
		echo "ibpack build $spec failed" >&2
		return 1
	}
}

# std_spec [FILE]: the standard test spec (default spec.json) and its package sources in pkgs/:
#   ofed-ubuntu  ubuntu-22.04,ubuntu-20.04   cx5,cx6        priority 0
#   ofed-cx3     ubuntu-*,rhel-8.*           cx3pro         priority 0
#   ofed-rhel    rhel-8.*                    cx4,cx5,cx6    priority 0
#   nd-driver    ubuntu-22.04                nd             priority 5
std_spec() {
	std_cache || return 1
	mkdir -p pkgs
	cp -a "$STD_CACHE/pkgs/." pkgs/
	cp "$STD_CACHE/spec.json" "${1:-spec.json}"
}

# std_bundle: spec.json, pkgs/, key k (k.key, k.pub) and b.run built from them.
std_bundle() {
	std_spec spec.json || return 1
	cp "$STD_CACHE/k.key" "$STD_CACHE/k.pub" "$STD_CACHE/b.run" .
	trust_key k
}

# std_cache: builds the standard spec, key and bundle once per test file (they are copied into
# each test's work dir, so tests stay independent).
std_cache() {
	STD_CACHE=$BATS_FILE_TMPDIR/std
	[[ -f $STD_CACHE/b.run ]] && return 0
	local tmp
	tmp=$(mktemp -d "$BATS_FILE_TMPDIR/std.XXXXXX") || return 1
	(
		cd "$tmp" || exit 1
		local SPEC_PKGS=()
		spec_pkg ofed-ubuntu ubuntu-22.04,ubuntu-20.04 cx5,cx6
		spec_pkg ofed-cx3 'ubuntu-*,rhel-8.*' cx3pro
		spec_pkg ofed-rhel 'rhel-8.*' cx4,cx5,cx6
		spec_pkg nd-driver ubuntu-22.04 nd priority=5
		write_spec spec.json
		build_bundle spec.json b.run k
	) || return 1
	mv -T "$tmp" "$STD_CACHE" 2>/dev/null || rm -rf "$tmp"
	[[ -f $STD_CACHE/b.run ]]
}

# ---- sysroots -------------------------------------------------------------------------------------

# sysroot DIR ARGS...: a detection fixture tree (see tests/fixtures/mksysroot.sh).
sysroot() { sh "$MKSYSROOT" "$@"; }

# ---- a minimal Debian 12 root ----------------------------------------------------------------------

# minbase DIR: a fresh copy of the cached `debootstrap --variant=minbase bookworm` root (made once
# under build/cache by tests/golden/mkroot.sh; the test skips when no mirror can be reached).
# Sets R to DIR's absolute path.
minbase() {
	local tarball rc=0
	tarball=$(bash "$REPO/tests/golden/mkroot.sh" "$REPO/build/cache" 2>"$WORK/mkroot.err") || rc=$?
	if ((rc == 77)); then
		skip "no minimal Debian 12 root: $(tail -1 "$WORK/mkroot.err")"
	fi
	((rc == 0)) || { cat "$WORK/mkroot.err"; return 1; }
	mkdir -p "$1"
	tar --numeric-owner -C "$1" -xpf "$tarball"
	R=$(realpath "$1")
}

# ---- bundle surgery -----------------------------------------------------------------------------

# regions BUNDLE: prints shell assignments describing the bundle, from its footer (parsed here,
# independently of ibpack) and exported manifest: STUB_LEN MANIFEST_OFF MANIFEST_LEN SIGBLOCK_OFF
# SIGBLOCK_LEN BUNDLE_LEN, and per package PKG_OFF_<id> PKG_LEN_<id> (id with - and . as _), and
# TABLE_OFF_<id> TABLE_LEN_<id> for its chunk table (0 0 when its chunks are listed inline).
regions() {
	"$IBPACK" manifest "$1" -o "$WORK/.regions.json" >/dev/null || return 1
	py - "$1" "$WORK/.regions.json" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
f = data[-64:]
assert f[:8] == b"IBPKFTR1", "no footer"
ver, size, stub, moff, mlen, soff, slen, blen = struct.unpack("<IIQQQQQQ", f[8:])
print("STUB_LEN=%d MANIFEST_OFF=%d MANIFEST_LEN=%d SIGBLOCK_OFF=%d SIGBLOCK_LEN=%d BUNDLE_LEN=%d FOOTER_OFF=%d"
      % (stub, moff, mlen, soff, slen, blen, len(data) - 64))
m = json.load(open(sys.argv[2]))
for p in m["packages"]:
    v = p["id"].replace("-", "_").replace(".", "_")
    print("PKG_OFF_%s=%d PKG_LEN_%s=%d" % (v, p["blob"]["offset"], v, p["blob"]["length"]))
    t = p["blob"].get("chunk_table")
    n = (p["blob"]["length"] + m["chunk_size"] - 1) // m["chunk_size"]
    print("TABLE_OFF_%s=%d TABLE_LEN_%s=%d" % (v, t["offset"] if t else 0, v, 32 * n if t else 0))
PY
}

# flip FILE OFFSET: inverts the byte at OFFSET in place.
flip() {
	local file=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 "$file" | tr -d ' \n')
	[[ -n $b ]] || { echo "flip: offset $off is past the end of $file" >&2; return 1; }
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' $((b ^ 0xff)))" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# truncate_by FILE N: drops the last N bytes.
truncate_by() {
	local size
	size=$(stat -c %s "$1")
	truncate -s $((size - $2)) "$1"
}

# ---- running the stub ------------------------------------------------------------------------------

# stub BUNDLE ARGS...: runs the bundle as an installer with test defaults (log file in the work
# dir, temp dirs under $WORK/tmp). Use with `run`.
stub() {
	local b=$1
	shift
	"$b" --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" "$@"
}

# dir_empty DIR: true when DIR exists and holds nothing.
dir_empty() {
	[[ -d $1 && -z $(ls -A "$1") ]] || {
		echo "$1 is not an empty directory:"
		ls -la "$1"
		return 1
	}
}

# forge_bundle IN OUT KEY PYCODE: rewrites single-package bundle IN into OUT with a payload made
# by PYCODE (Python; add(name, data=b"", type=tarfile.REGTYPE, mode=0o644, linkname="") appends a
# tar entry; `tarfile` is imported), stored uncompressed, with the manifest's blob fields updated
# and re-signed by KEY.key with stock OpenSSL. It models a signer whose input was hostile: the
# result passes every signature and chunk check, so only extraction can refuse it.
forge_bundle() {
	py - "$@" <<'PY'
import hashlib, io, json, os, struct, subprocess, sys, tarfile
src, dst, key, code = sys.argv[1:5]
data = open(src, "rb").read()
_, _, stub, moff, mlen, soff, slen, _ = struct.unpack("<IIQQQQQQ", data[-56:])
m = json.loads(data[moff:moff + mlen])
sigblock = bytearray(data[soff:soff + slen])
assert len(m["packages"]) == 1 and struct.unpack("<I", sigblock[8:12])[0] == 1
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
files = 0
size = 0
def add(name, data=b"", type=tarfile.REGTYPE, mode=0o644, linkname=""):
    global files, size
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname, ti.mtime = type, mode, linkname, 0
    if type == tarfile.CHRTYPE:
        ti.devmajor, ti.devminor = 1, 3
    ti.size = len(data) if type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    t.addfile(ti, io.BytesIO(data) if ti.size else None)
    files += 1
    size += ti.size
exec(code)
t.close()
blob = buf.getvalue()
cs = m["chunk_size"]
p = m["packages"][0]
p["unpacked_size"], p["file_count"] = max(size, 1), max(files, 1)
p.pop("files", None)  # the optional signed file list would describe the replaced payload
p["blob"] = {"offset": stub, "length": len(blob), "compression": "none",
             "sha256": hashlib.sha256(blob).hexdigest(),
             "chunks": [hashlib.sha256(blob[i:i + cs]).hexdigest() for i in range(0, len(blob), cs)]}
manifest = json.dumps(m, indent=1).encode()
mf = dst + ".manifest"
open(mf, "wb").write(manifest)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key + ".key", "-rawin", "-in", mf],
                     check=True, capture_output=True).stdout
os.unlink(mf)
assert len(sig) == struct.unpack("<I", sigblock[48:52])[0]
sigblock[52:52 + len(sig)] = sig
moff = stub + len(blob)
soff = moff + len(manifest)
pad = (8 - (soff + slen + 64) % 8) % 8
blen = soff + slen + pad + 64
footer = b"IBPKFTR1" + struct.pack("<IIQQQQQQ", 1, 64, stub, moff, len(manifest), soff, slen, blen)
open(dst, "wb").write(data[:stub] + blob + manifest + bytes(sigblock) + bytes(pad) + footer)
os.chmod(dst, 0o755)
PY
}

# bundle_reads BUNDLE TRACE [payload]: prints "OFF LEN" for every pread64/read that `strace -s0 -e
# trace=openat,read,pread64` recorded in TRACE on a descriptor of BUNDLE (or /proc/self/exe);
# with "payload", only those touching the payload (between the stub and the manifest).
bundle_reads() {
	eval "$(regions "$1")"
	py - "$2" "$STUB_LEN" "$MANIFEST_OFF" "$1" "${3:-all}" <<'PY'
import os, re, sys
trace, lo, hi, bundle, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), os.path.basename(sys.argv[4]), sys.argv[5]
fds, pos = set(), {}
for line in open(trace):
    m = re.search(r'openat\(AT_FDCWD, "([^"]*)".*\)\s*=\s*(\d+)$', line)
    if m:
        if m.group(1).endswith("/" + bundle) or m.group(1) in (bundle, "/proc/self/exe"):
            fds.add(m.group(2)); pos[m.group(2)] = 0
        else:
            fds.discard(m.group(2))
        continue
    m = re.search(r'pread64\((\d+), .*, (\d+), (\d+)\)\s*=\s*(\d+)$', line)
    if m and m.group(1) in fds:
        off, n = int(m.group(3)), int(m.group(4))
    else:
        m = re.search(r'\bread\((\d+), .*, (\d+)\)\s*=\s*(\d+)$', line)
        if not (m and m.group(1) in fds):
            continue
        off, n = pos[m.group(1)], int(m.group(3))
        pos[m.group(1)] += n
    if which == "all" or (n and off < hi and off + n > lo):
        print(off, n)
PY
}

# payload_reads BUNDLE TRACE: the reads of bundle_reads that touch the payload.
payload_reads() { bundle_reads "$1" "$2" payload; }

# strace_ok: true when strace can trace here (ptrace may be forbidden in containers).
strace_ok() { command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; }

# trace_io TRACE CMD...: runs CMD under strace, recording openat/read/pread64 in TRACE (for
# bundle_reads). LeakSanitizer cannot run under ptrace, so sanitizer builds run without it.
trace_io() {
	local trace=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -s0 -e trace=openat,read,pread64 -o "$trace" "$@"
}
