#!/usr/bin/env bats
# The stubs' static libraries carry the Debian security patches of their pinned source packages
# (deps/build.sh applies each debian/patches/series), and --version --verbose says so.

load helpers

# deps_dir TARGET: sets d to build/deps/TARGET of this build, or skips when the stub was not built
# from it (a sanitizer build links the system's libraries). Not for $(...): skip must run here.
deps_dir() {
	d=$IBPACK_BUILD/deps/$1
	[[ -f $d/.stamp && -f $d/lib/libarchive.a ]] || skip "no static dependencies for $1 under $IBPACK_BUILD/deps"
}

@test "deps: every Debian patch of libarchive and cJSON is applied, in series order" {
	deps_dir linux-x86_64
	# the list the SBOM reads: NAME<TAB>PATCH, one line per applied patch
	grep -qxP 'libarchive\tCVE-2025-5914.patch' "$d/applied-patches.tsv"
	grep -qxP 'libarchive\tCVE-2026-16517.patch' "$d/applied-patches.tsv"
	grep -qxP 'cjson\tCVE-2025-57052.patch' "$d/applied-patches.tsv"
	[[ $(grep -cP '^libarchive\t' "$d/applied-patches.tsv") == 22 ]]
	[[ $(grep -cP '^cjson\t' "$d/applied-patches.tsv") == 5 ]]
	# 15 patch files named after CVEs (some fixes span several files; the RAR fixes carry upstream PR names)
	[[ $(grep -cP '^libarchive\tCVE-' "$d/applied-patches.tsv") == 15 ]]
	# series order
	[[ $(grep -P '^cjson\t' "$d/applied-patches.tsv" | cut -f2 | tr '\n' ' ') == \
		"0001-add-null-checkings.patch 0002-add-null-check-to-cjson-setvaluestring.patch 0001-allocate-memory-for-the-temporary-buffer.patch 0002-Fix-heap-buffer-overflow.patch CVE-2025-57052.patch " ]]
	# OpenSSL's Debian part is not served: nothing applied, and deps/pins says why
	! grep -qP '^openssl\t' "$d/applied-patches.tsv"
	grep -q "^# openssl: Debian's security archive serves the 3.0.22 .orig tarball but not" "$REPO/deps/pins"
}

@test "deps: the built libarchive holds a CVE fix's code, for both stubs" {
	for t in linux-x86_64 windows-x86_64; do
		d=$IBPACK_BUILD/deps/$t
		[[ -f $d/lib/libarchive.a ]] || continue
		# CVE-2026-16517 adds this error message to the zip reader
		strings -a "$d/lib/libarchive.a" | grep -q "File size too large for encrypted ZIP entry" ||
			{ echo "$t: libarchive.a lacks the CVE-2026-16517 fix"; false; }
		# CVE-2026-4424 adds this one to the RAR reader
		strings -a "$d/lib/libarchive.a" | grep -q "Bad RAR file data"
	done
	deps_dir linux-x86_64 >/dev/null
}

@test "deps: the built cJSON behaves as patched (CVE-2023-26819 and the NULL checks)" {
	deps_dir linux-x86_64
	cat >cj.c <<'EOF'
#include <cjson/cJSON.h>
#include <stdio.h>
int main(void)
{
	/* 1.7.15 copies a number into a 64-byte buffer and fails on a longer one: CVE-2023-26819 */
	cJSON *j = cJSON_Parse("[1111111111111111111111111111111111111111111111111111111111111111111111.5]");
	/* 1.7.15 dereferences NULL here: the Debian NULL-check patches return NULL */
	char *r = cJSON_SetValuestring(NULL, "x");
	printf("%s %s\n", j ? "parsed" : "refused", r ? "set" : "null");
	cJSON_Delete(j);
	return 0;
}
EOF
	gcc -I"$d/include" -o cj cj.c "$d/lib/libcjson.a" -lm
	run ./cj
	assert_status 0
	[[ $output == "parsed null" ]]
}

@test "deps: --version --verbose lists the dependencies with their Debian revision" {
	deps_dir linux-x86_64 >/dev/null
	run "$STUB" --version --verbose
	assert_status 0
	assert_output "libarchive 3.6.2-1+deb12u5 (22 Debian patches applied)" "cjson 1.7.15-1+deb12u4 (5 Debian patches applied)" \
		"openssl 3.0.22-1~deb12u2 (upstream source, no Debian patches)"
	run "$IBPACK" --version --verbose
	assert_status 0
	assert_output "libarchive13 3.6.2-" "libcjson1 1.7.15-"
}
