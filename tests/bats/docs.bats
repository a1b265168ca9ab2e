#!/usr/bin/env bats
# Installed like a system tool: the man pages render without warnings (mandoc -T lint, groff -ww,
# man -l) and cover every command and option --help shows; the bash and zsh completions, driven
# through the shells' own completion code, offer them and filter file arguments by kind; make
# install / make uninstall honour DESTDIR and PREFIX; --version of ibpack and of a bundle.

load helpers

MAN_PAGES="ibpack.1 ibpack-bundle.1 ibpack-spec.5 ibpack-format.5"
WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe

# bash_complete FUNC WORD...: the candidates bash completion FUNC offers for the command line
# WORD... (the last word is the one being completed), one per line, with bash-completion loaded.
bash_complete() {
	local func=$1
	shift
	bash -c 'source /usr/share/bash-completion/bash_completion || exit 1
		source "$1" || exit 1
		func=$2
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		"$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$REPO/completion/ibpack.bash" "$func" "$@"
}

# files_fixture: a directory c/ (made the cwd) with one file of each kind the completions tell
# apart, and a subdirectory.
files_fixture() {
	mkdir c && cd c || return 1
	touch spec.json release.key release.pub b.run w.exe notes.txt ca.pem
	mkdir -p sub
}

@test "man pages: mandoc -T lint, groff -ww and man -l render every page without a warning" {
	command -v mandoc >/dev/null || skip "mandoc is not installed (bash scripts/setup.sh test)"
	for p in $MAN_PAGES; do
		# "referenced manual not found" only says the other pages are not installed yet
		run bash -c "mandoc -T lint '$REPO/man/$p' 2>&1 | grep -v -e 'referenced manual not found' -e 'mandoc.db'"
		[[ -z $output ]] || { echo "mandoc -T lint $p:"; echo "$output"; return 1; }
		run --separate-stderr groff -ww -z -mandoc "$REPO/man/$p"
		assert_status 0
		[[ -z $stderr ]] || { echo "groff -ww $p: $stderr"; return 1; }
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$REPO/man/$p"
		assert_status 0
		[[ -z $stderr ]] || { echo "man -l $p: $stderr"; return 1; }
		[[ $output == *NAME* && $output == *DESCRIPTION* ]]
	done
	MANWIDTH=100 man -l "$REPO/man/ibpack.1" | grep -q -- '--zstd-level'
}

@test "man pages and both completions cover every command and long option of ibpack and of a bundle" {
	command -v zsh >/dev/null || skip "zsh is not installed (bash scripts/setup.sh test)"
	local w=()
	[[ -f $WSTUB ]] && w=("$WSTUB")
	run python3 "$REPO/tests/docs/sync.py" "$IBPACK" "$STUB" "${w[@]}"
	[[ $status -eq 0 ]] || {
		echo "$output"
		echo "update man/ibpack.1, man/ibpack-bundle.1, completion/ibpack.bash and completion/_ibpack"
		return 1
	}
}

@test "bash completion: commands, options per command, file arguments by kind, NIC and OS tokens" {
	[[ -f /usr/share/bash-completion/bash_completion ]] || skip "bash-completion is not installed"
	files_fixture
	run bash_complete _ibpack ibpack ch
	[[ $output == check ]]
	run bash_complete _ibpack ibpack build ''
	[[ $(echo $output) == "spec.json sub" ]]
	run bash_complete _ibpack ibpack build spec.json -k ''
	[[ $(echo $output) == "ca.pem release.key sub" ]] # PEM keys too; never .pub
	run bash_complete _ibpack ibpack verify rdma.run --trust ''
	[[ $(echo $output) == "ca.pem release.pub sub" ]]
	run bash_complete _ibpack ibpack verify ''
	[[ $(echo $output) == "b.run sub w.exe" ]]
	run bash_complete _ibpack ibpack extract b.run -o ''
	[[ $(echo $output) == "sub" ]]
	run bash_complete _ibpack ibpack plan "$REPO/bundles/azure-hpc-linux.json" --os centos-7.
	assert_output centos-7.4 centos-7.9
	run bash_complete _ibpack ibpack plan b.run --nic cx6
	[[ $(echo $output) == "cx6 cx6dx cx6lx" ]]
	run bash_complete _ibpack ibpack keygen --alg ''
	[[ $(echo $output) == "ed25519 ecdsa-p256 rsa-pss-3072" ]]
	run bash_complete _ibpack ibpack fetch-list x.json --format ''
	[[ $(echo $output) == "plain urls" ]]
	run bash_complete _ibpack_bundle ./b.run --extension ''
	[[ $(echo $output) == "install enable disable uninstall update" ]]
	run bash_complete _ibpack_bundle ./b.run --trust ''
	[[ $(echo $output) == "ca.pem release.pub sub" ]]
	# registered for ibpack only; a bundle is registered by name
	run bash -c "source '$REPO/completion/ibpack.bash'; complete -p ibpack"
	assert_output "-F _ibpack ibpack"
}

@test "zsh completion: compinit registers it for ibpack and *.run; file arguments by kind" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	files_fixture
	run zsh -f -c "fpath=('$REPO/completion' \$fpath); autoload -U compinit; compinit -u -D
		print -r -- \$_comps[ibpack] \${(k)_postpatcomps}"
	assert_status 0
	assert_output "_ibpack" "*.run"
	run timeout 120 zsh -f "$REPO/tests/docs/zcomplete.zsh" "$REPO/completion" \
		'ibpack verify --trust ' 'ibpack build spec.json -k ' 'ibpack plan x.json --os windows-server-201' './b.run --nic cx5'
	assert_status 0
	py - "$output" <<'PY'
import sys
got, cur = {}, None
for ln in sys.argv[1].splitlines():
    if ln.startswith("== "):
        cur = got.setdefault(ln[3:], set())
    else:
        cur.add(ln)
def want(line, *names):
    missing = [n for n in names if n not in got.get(line, set())]
    assert not missing, "%r: missing %s in %s" % (line, missing, sorted(got.get(line, set())))
want("ibpack verify --trust ", "release.pub", "ca.pem")
want("ibpack build spec.json -k ", "release.key")
want("ibpack plan x.json --os windows-server-201", "windows-server-2012", "windows-server-2019")
want("./b.run --nic cx5", "cx5", "cx5ex")
PY
}

@test "ibpack --version: its version, the libraries it runs with and the stubs it would use" {
	run --separate-stderr "$IBPACK" --version
	assert_status 0
	assert_output "ibpack $(cat "$REPO/VERSION")" "libarchive " "OpenSSL " "cJSON " \
		"stub linux-x86_64: $(realpath "$STUB")"
	IBPACK_STUB_DIR=$WORK/none run "$IBPACK" --version
	assert_output "stub windows-x86_64: "
}

@test "bundle --version: name, version, sequence and target from the signed manifest, then stub and libraries" {
	std_bundle
	run --separate-stderr ./b.run --version
	assert_status 0
	[[ ${lines[0]} == "testbundle 1.2.3 (sequence 7, linux-x86_64, created "* ]] || { echo "$output"; return 1; }
	[[ ${lines[1]} == "ibpack stub $(cat "$REPO/VERSION") (linux-x86_64)" ]]
	assert_output "libarchive " "zlib/" "libzstd/" "OpenSSL " "cJSON "
	# a bundle signed by an untrusted key: the stub still identifies itself, then fails as --verify
	key other
	run --separate-stderr ./b.run --version --trust other.pub
	assert_status 2
	[[ ${lines[0]} == "ibpack stub "* ]]
	assert_stderr "not signed by a key"
}

@test "make install and make uninstall honour DESTDIR and PREFIX; the installed ibpack finds its stub" {
	local d=$WORK/dest
	# -o: use the binaries under test as they are (never rebuild them here)
	run make -C "$REPO" -o "$IBPACK" -o "$STUB" BUILD="$IBPACK_BUILD" DESTDIR="$d" PREFIX=/opt/ib install
	assert_status 0
	for f in bin/ibpack lib/ibpack/stub-linux-x86_64 share/man/man1/ibpack.1 share/man/man1/ibpack-bundle.1 \
		share/man/man5/ibpack-spec.5 share/man/man5/ibpack-format.5 share/bash-completion/completions/ibpack \
		share/zsh/site-functions/_ibpack share/doc/ibpack/README.md share/doc/ibpack/FORMAT.md \
		share/doc/ibpack/examples/debian-rdma-core.json share/doc/ibpack/examples/debian-rdma-core/install.sh; do
		[[ -f $d/opt/ib/$f ]] || { echo "missing: /opt/ib/$f"; find "$d" -type f; return 1; }
	done
	[[ $(file_mode "$d/opt/ib/bin/ibpack") == 755 && $(file_mode "$d/opt/ib/share/man/man1/ibpack.1") == 644 ]]
	man -l "$d/opt/ib/share/man/man5/ibpack-spec.5" | grep -q 'match.os'
	# the installed copy builds a bundle with the installed stub (../lib/ibpack next to it)
	new_spec
	spec_pkg p1 debian-12 cx6
	write_spec spec.json
	key k
	run "$d/opt/ib/bin/ibpack" build spec.json -k k.key -o b.run -q
	assert_status 0
	run "$d/opt/ib/bin/ibpack" --version
	assert_output "stub linux-x86_64: $d/opt/ib/lib/ibpack/stub-linux-x86_64"
	run make -C "$REPO" -o "$IBPACK" -o "$STUB" BUILD="$IBPACK_BUILD" DESTDIR="$d" PREFIX=/opt/ib uninstall
	assert_status 0
	run find "$d" -type f
	[[ -z $output ]] || { echo "left behind: $output"; return 1; }
	# PREFIX=/usr: Debian's zsh vendor directory
	run make -C "$REPO" -o "$IBPACK" -o "$STUB" BUILD="$IBPACK_BUILD" DESTDIR="$d" PREFIX=/usr install
	assert_status 0
	[[ -f $d/usr/share/zsh/vendor-completions/_ibpack && -f $d/usr/lib/ibpack/stub-linux-x86_64 ]]
}
