#!/usr/bin/env bats
# The CLI and spec contract: strict spec checks shared by build and check, outputs that never
# destroy inputs, interrupts that leave nothing behind, UTF-8 names, one option vocabulary, exit
# codes per class, keys and progress.

load helpers

# one_spec [key=value...]: spec.json with one package "p" (ubuntu-20.04, cx6) in pkgs/p.
one_spec() {
	new_spec
	spec_pkg p ubuntu-20.04 cx6 "$@"
	write_spec spec.json
}

# lines TEXT: the number of non-empty lines.
lines() { grep -c . <<<"$1" || true; }

# wait_for GLOB: waits up to 20 s until a path matches GLOB.
wait_for() {
	local i
	for i in $(seq 200); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.1
	done
	echo "nothing matched $1" >&2
	return 1
}

# interrupt GLOB SIGNAL CMD...: runs CMD in the background, sends it SIGNAL once GLOB matches
# (its temp output exists) and sets INTERRUPT_RC to its exit status.
interrupt() {
	local glob=$1 sig=$2 pid
	shift 2
	"$@" &
	pid=$!
	wait_for "$glob" || { kill $pid; wait $pid; return 1; }
	kill "-$sig" $pid
	INTERRUPT_RC=0
	wait $pid || INTERRUPT_RC=$?
}

# big_pkg DIR: a package whose 1 GiB sparse file takes a while to compress and to extract.
big_pkg() {
	make_pkg "$1" big
	truncate -s 1G "$1/zeros.img"
}

# big_bundle: b.run (key k) with packages "big" (big_pkg, zstd) and "small".
big_bundle() {
	big_pkg pkgs/big
	new_spec
	spec_pkg big ubuntu-20.04 cx6 compression=zstd
	spec_pkg small ubuntu-22.04 cx6
	write_spec spec.json
	build_bundle spec.json b.run k
}

# ---- strict spec validation: one table, build and check -------------------------------------------

# lint_case NAME EXPECTED SETUP: SETUP (shell) writes spec.json; build and check both exit 3
# and name EXPECTED (the JSON path and the problem).
lint_case() {
	local name=$1 want=$2 setup=$3
	rm -rf spec.json pkgs
	eval "$setup"
	key k
	run "$IBPACK" build spec.json -k k.key -o out.run
	[[ $status -eq 3 && $output == *"$want"* && ! -e out.run ]] || {
		echo "case '$name': build exit $status, expected 3 and: $want"
		echo "$output"
		return 1
	}
	run "$IBPACK" check spec.json
	[[ $status -eq 3 && $output == *"$want"* ]] || {
		echo "case '$name': check exit $status, expected 3 and: $want"
		echo "$output"
		return 1
	}
}

@test "spec lint table: each mistake is refused by build and by check, naming the JSON path" {
	lint_case "misspelt package key" 'packages[0].priorty: unknown key (did you mean "priority"?)' \
		"one_spec json='{\"priorty\": 3}'"
	lint_case "misspelt top-level key" 'compresion: unknown key (did you mean "compression"?)' \
		"one_spec && sed -i 's/\"sequence\"/\"compresion\": \"zstd\", \"sequence\"/' spec.json"
	lint_case "unknown install key" 'packages[0].install.timout: unknown key (did you mean "timeout"?)' \
		"one_spec && sed -i 's/\"timeout\"/\"timout\"/' spec.json"
	lint_case "unknown NIC token" "packages[0].match.nic[1]: package 'p': 'cx9' is not a known NIC token" \
		"new_spec && spec_pkg p ubuntu-20.04 cx6,cx9 && write_spec spec.json"
	lint_case "NIC token typo" "'cx6x' is not a known NIC token (cx3 cx3pro cib cx4 cx4lx cx5 cx5ex cx6 cx6dx cx6lx cx7 cx8 bf2 bf3 nd); did you mean 'cx6'?" \
		"new_spec && spec_pkg p ubuntu-20.04 cx6x && write_spec spec.json"
	lint_case "OS token without the dash" "packages[0].match.os[0]: package 'p': 'ubuntu20.04' is not a known OS token" \
		"new_spec && spec_pkg p ubuntu20.04 cx6 && write_spec spec.json"
	lint_case "Windows short name in a Linux spec" "packages[0].match.os[1]: package 'p': 'win2019' is not a known OS token" \
		"new_spec && spec_pkg p ubuntu-20.04,win2019 cx6 && write_spec spec.json"
	lint_case "Windows token in a Linux spec" "packages[0].match.os[0]: package 'p': 'windows-server-2019' is a Windows OS token, but the target is linux-x86_64" \
		"new_spec && spec_pkg p windows-server-2019 cx6 && write_spec spec.json"
	lint_case "install program not in the package" "packages[0].install.command[0]: package 'p': the program './nope.sh' is not in the package" \
		"one_spec command='[\"./nope.sh\"]'"
	lint_case "JSON syntax error" "spec.json: line 3, column 3: not valid JSON: syntax error" \
		"printf '{ \"name\": \"x\",\n  \"version\": \"1\"\n  \"sequence\": 1 }\n' >spec.json"
}

@test "spec lint: a sha256 pin on a directory source is an error in build, an invalid source in check" {
	one_spec sha256="$(printf '%064d' 0)"
	key k
	run "$IBPACK" build spec.json -k k.key -o out.run
	assert_status 3
	assert_output "packages[0].sha256: package 'p': './pkgs/p' is a directory: a sha256 pin on it needs \"artifact\""
	[[ ! -e out.run ]]
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "sha256 is pinned but the source is a directory"
}

@test "spec lint: every error is listed at once, and --allow-unknown-tokens builds with a warning" {
	new_spec
	spec_pkg p ubuntu-20.04,ubuntu20.04 cx6,cx9
	write_spec spec.json
	key k
	run "$IBPACK" build spec.json -k k.key -o out.run
	assert_status 3
	assert_output "'ubuntu20.04' is not a known OS token" "'cx9' is not a known NIC token" "2 errors in the spec"
	run "$IBPACK" build spec.json -k k.key -o out.run --allow-unknown-tokens
	assert_status 0
	assert_output "warning: spec.json: packages[0].match.nic[1]" "(allowed by --allow-unknown-tokens)"
	[[ -x out.run ]]
}

@test "spec lint: programs are found in the package, a single-file source, System32 and PATH" {
	mkdir -p pkgs/p/bin
	printf '#!/bin/sh\n' >pkgs/p/bin/setup
	printf 'x' >single.run
	new_spec
	spec_pkg p ubuntu-20.04 cx6 command='["bin/setup"]'
	spec_pkg q ubuntu-22.04 cx6 source=single.run command='["./single.run"]'
	spec_pkg r ubuntu-18.04 cx6 command='["/bin/sh", "-c", "true"]'
	spec_pkg s ubuntu-16.04 cx6 command='["sh", "install.sh"]'
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	assert_status 0
	json_assert "$output" 'd["lint"] == []'
	# Windows: a bare name may be a System32 program; anything else must be in the package.
	new_spec
	spec_pkg w windows-10 cx6 source=single.run command='["cmd.exe", "/c", "single.run"]'
	spec_pkg x windows-11 cx6 source=single.run command='["single.run"]'
	spec_pkg y windows-server-2019 cx6 source=single.run command='["setup.exe", "/S"]'
	write_spec spec.json
	sed -i 's/linux-x86_64/windows-x86_64/' spec.json
	run "$IBPACK" check spec.json --json
	assert_status 3
	json_assert "$output" '[(f["kind"], f["packages"][0]) for f in d["lint"]] == [("missing-program", "y")]' \
		'"packages[2].install.command[0]" in d["lint"][0]["message"] and "or System32" in d["lint"][0]["message"]'
}

@test "check walks source folders with build's rules: symlink, FIFO and invalid UTF-8 names inside" {
	for bad in link fifo name; do
		rm -rf pkgs spec.json
		one_spec
		case $bad in
		link) ln -s README pkgs/p/doc/alias ;;
		fifo) mkfifo pkgs/p/doc/pipe ;;
		name) touch "pkgs/p/doc/$(printf 'bad\xff')" ;;
		esac
		run "$IBPACK" check spec.json
		assert_status 3
		assert_output "invalid" "problems found"
		assert_not_contains "$output" "ready to build"
		key k
		run "$IBPACK" build spec.json -k k.key -o out.run
		assert_status 3
		[[ ! -e out.run ]]
	done
}

# ---- outputs never destroy inputs -----------------------------------------------------------------

@test "build -o onto the spec, a source file, a key or the stub is refused before anything is written" {
	printf 'payload\n' >single.run
	one_spec
	spec_pkg q ubuntu-22.04 cx6 source=single.run command='["./single.run"]'
	write_spec spec.json
	key k
	cp spec.json spec.orig
	for target in spec.json single.run k.key "$STUB"; do
		sum=$(sha256sum "$target")
		run "$IBPACK" build spec.json -k k.key -o "$target" --stub "$STUB"
		assert_status 1
		assert_output "is the input"
		[[ $(sha256sum "$target") == "$sum" ]]
	done
	ln -s spec.json alias.json
	run "$IBPACK" build spec.json -k k.key -o alias.json
	assert_status 1
	cmp spec.json spec.orig
}

@test "build -o inside a package's source folder is refused (the bundle would pack itself)" {
	one_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o pkgs/p/doc/out.run
	assert_status 1
	assert_output "is inside the source folder of package 'p'"
	[[ -z $(find pkgs -name 'out.run*') ]]
}

@test "build -o: a missing directory or a directory is refused before packing; -o - is refused" {
	one_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o nodir/out.run
	assert_status 3
	assert_output "cannot write 'nodir/out.run': directory 'nodir'"
	mkdir outdir
	run "$IBPACK" build spec.json -k k.key -o outdir
	assert_status 3
	assert_output "'outdir' is a directory"
	run "$IBPACK" build spec.json -k k.key -o -
	assert_status 1
	assert_output "-o - (standard output) is not supported"
	[[ ! -e - ]]
}

@test "manifest and signature: -o onto the bundle is refused; -o - writes the bytes to stdout" {
	std_bundle
	sum=$(sha256sum b.run)
	run "$IBPACK" manifest b.run -o b.run
	assert_status 1
	run "$IBPACK" signature b.run -o ./b.run
	assert_status 1
	[[ $(sha256sum b.run) == "$sum" ]]
	"$IBPACK" manifest b.run -o m.json
	"$IBPACK" manifest b.run -o - >m.stdout
	cmp m.json m.stdout
	"$IBPACK" signature b.run -o s.sig
	"$IBPACK" signature b.run -o - >s.stdout
	cmp s.sig s.stdout
	[[ ! -e - ]]
}

@test "attach-signature and extension: -o onto an input is refused; extension -o - is a zip on stdout" {
	std_bundle
	"$IBPACK" build spec.json --unsigned --trust k.pub -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	openssl pkeyutl -sign -inkey k.key -rawin -in m.json -out m.sig
	run "$IBPACK" attach-signature u.run m.sig --signer k.pub -o m.sig
	assert_status 1
	assert_output "is the input 'm.sig'"
	run "$IBPACK" attach-signature u.run m.sig --signer k.pub -o signed.run
	assert_status 0
	run "$IBPACK" extension b.run -o b.run --publisher P --type T --version 1.0
	assert_status 1
	"$IBPACK" extension b.run -o - --publisher P --type T --version 1.0 >h.zip
	py -c "import sys, zipfile; assert \"HandlerManifest.json\" in zipfile.ZipFile(sys.argv[1]).namelist()" h.zip
}

@test "SIGTERM during build leaves no temp file and no output; the build dies by the signal" {
	mkdir -p src
	big_pkg pkgs/big
	new_spec
	spec_pkg big ubuntu-20.04 cx6 compression=zstd
	write_spec spec.json
	key k
	interrupt 'out.run.tmp.*' TERM "$IBPACK" build spec.json -k k.key -o out.run --zstd-level 19 -q
	[[ $INTERRUPT_RC -eq 143 ]]
	[[ -z $(compgen -G 'out.run*') ]]
	[[ -z $(ls -A . | grep -v -e '^pkgs$' -e '^spec.json$' -e '^k.key$' -e '^k.pub$' -e '^out$' -e '^tmp$' -e '^src$' -e '^trusted.d$') ]]
}

@test "SIGTERM during ibpack extract and the bundle's --extract leaves nothing; a rerun works" {
	big_bundle
	for how in ibpack stub; do
		rm -rf layout
		if [[ $how == ibpack ]]; then
			"$IBPACK" extract b.run -o layout -q &
		else
			./b.run --extract layout --quiet &
		fi
		pid=$!
		wait_for 'layout/.ibpack-tmp.*/big/zeros.img'
		kill -TERM $pid
		wait $pid || true
		[[ ! -e layout ]] || { echo "$how left:"; find layout; false; }
	done
	run "$IBPACK" extract b.run -o layout -q --package small
	assert_status 0
	diff -r pkgs/small layout/small
	[[ -z $(compgen -G 'layout/.ibpack-tmp*') ]]
}

@test "SIGTERM during attach-signature and SIGHUP during extension leave no temp file and the target untouched" {
	# An uncompressed 1 GiB package: copying the bundle into the temp output takes seconds.
	make_pkg pkgs/big big
	truncate -s 1G pkgs/big/zeros.img
	new_spec
	spec_pkg big ubuntu-20.04 cx6 compression=none
	write_spec spec.json
	key k
	"$IBPACK" build spec.json --unsigned --trust k.pub -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	openssl pkeyutl -sign -inkey k.key -rawin -in m.json -out m.sig
	echo old >signed.run
	interrupt 'signed.run.tmp.*' TERM "$IBPACK" attach-signature u.run m.sig --signer k.pub -o signed.run
	[[ $INTERRUPT_RC -eq 143 ]]
	[[ $(cat signed.run) == old ]]
	[[ -z $(compgen -G 'signed.run.tmp*') ]]
	rm signed.run
	"$IBPACK" attach-signature u.run m.sig --signer k.pub -o signed.run >/dev/null
	# (env --default-signal: a test run under nohup would pass SIGHUP on ignored, which ibpack keeps)
	interrupt 'h.zip.tmp.*' HUP env --default-signal=HUP "$IBPACK" extension signed.run -o h.zip --publisher P --type T --version 1.0
	[[ $INTERRUPT_RC -eq 129 ]]
	[[ ! -e h.zip && -z $(compgen -G 'h.zip*') ]]
	# Under nohup (SIGHUP ignored from the start) a hangup does not stop it.
	nohup "$IBPACK" extension signed.run -o h.zip --publisher P --type T --version 1.0 >/dev/null 2>&1 &
	pid=$!
	wait_for 'h.zip.tmp.*'
	kill -HUP $pid
	wait $pid
	[[ -s h.zip && -z $(compgen -G 'h.zip.tmp*') ]]
	rm h.zip
	[[ -z $(ls -A | grep -v -x -e pkgs -e spec.json -e k.key -e k.pub -e u.run -e m.json -e m.sig -e signed.run -e out -e tmp -e trusted.d) ]]
}

@test "a SIGKILLed extract's temp folder is removed by the next extract; live, locked and linked ones are not" {
	big_bundle
	"$IBPACK" extract b.run -o layout -q &
	pid=$!
	wait_for "layout/.ibpack-tmp.$pid/big/zeros.img"
	kill -KILL $pid
	wait $pid || true
	[[ -f layout/.ibpack-tmp.$pid/.ibpack-lock ]]
	# A finished process's pid: its folders count as dead unless their lock is held.
	sh -c 'exit 0' &
	dead=$!
	wait $dead
	mkdir -p layout/.ibpack-tmp.$dead-1 layout/.ibpack-tmp.$dead-2/pkg elsewhere/.ibpack-tmp.$dead/x
	# The holder is sleep itself (it keeps the locked descriptor), so killing it drops the lock.
	(exec 9>layout/.ibpack-tmp.$dead-1/.ibpack-lock && flock 9 && exec sleep 300) >/dev/null 2>&1 3>&- &
	holder=$!
	sleep 300 >/dev/null 2>&1 3>&- &
	live=$!
	mkdir layout/.ibpack-tmp.$live          # a live owner that has not taken its lock yet
	ln -s ../elsewhere/.ibpack-tmp.$dead layout/.ibpack-tmp.$dead
	ln -s ../../elsewhere layout/.ibpack-tmp.$dead-2/.ibpack-lock
	mkdir layout/.ibpack-tmpx layout/.ibpack-tmp.12a
	wait_for "layout/.ibpack-tmp.$dead-1/.ibpack-lock"
	run ./b.run --extract layout --package small --quiet
	assert_status 0
	diff -r pkgs/small layout/small
	[[ ! -e layout/.ibpack-tmp.$pid ]]
	[[ -d layout/.ibpack-tmp.$dead-1 && -d layout/.ibpack-tmp.$live && -d layout/.ibpack-tmpx && -d layout/.ibpack-tmp.12a ]]
	[[ -L layout/.ibpack-tmp.$dead && -d elsewhere/.ibpack-tmp.$dead/x ]]
	[[ -d layout/.ibpack-tmp.$dead-2/pkg && -d elsewhere ]]
	# ibpack extract cleans up the same way once the holder is gone.
	kill $holder
	wait $holder || true
	run "$IBPACK" extract b.run -o layout -q --package big
	kill $live
	assert_status 0
	[[ ! -e layout/.ibpack-tmp.$dead-1 && -d layout/.ibpack-tmp.$live && -L layout/.ibpack-tmp.$dead ]]
	[[ -z $(compgen -G "layout/.ibpack-tmp.$$*") ]]
}

@test "extract is all or nothing: an existing package folder is refused up front, a failure leaves nothing" {
	std_bundle
	mkdir -p layout/ofed-rhel
	run "$IBPACK" extract b.run -o layout
	assert_status 3
	assert_output "'ofed-rhel' already exists in the output directory"
	[[ $(ls -A layout) == ofed-rhel ]]
	run ./b.run --extract layout
	assert_status 14
	[[ $(ls -A layout) == ofed-rhel ]]
	rmdir layout/ofed-rhel
	run ./b.run --extract layout --package ofed-rhel
	assert_status 0
	[[ -x layout/ofed-rhel/install.sh ]]
	run "$IBPACK" extract b.run -o layout --package ofed-ubuntu --package nd-driver
	assert_status 0
	[[ $(ls layout | tr '\n' ' ') == "nd-driver ofed-rhel ofed-ubuntu " ]]
}

# ---- UTF-8 names ----------------------------------------------------------------------------------

@test "UTF-8 names round-trip in the C locale: build, verify, ibpack extract and --extract" {
	make_pkg pkgs/u u
	mkdir -p "pkgs/u/日本語"
	printf 'cv\n' >"pkgs/u/résumé.txt"
	printf 'data\n' >"pkgs/u/日本語/データ ✓.txt"
	new_spec
	spec_pkg u ubuntu-20.04 cx6
	write_spec spec.json
	key k
	LC_ALL=C LANG= "$IBPACK" build spec.json -k k.key -o b.run -q
	LC_ALL=C run "$IBPACK" verify b.run
	assert_status 0
	LC_ALL=C "$IBPACK" extract b.run -o l1 -q
	LC_ALL=C ./b.run --extract l2 --quiet
	for l in l1 l2; do
		diff -r pkgs/u "$l/u"
		[[ -f "$l/u/résumé.txt" && -f "$l/u/日本語/データ ✓.txt" ]]
	done
}

@test "a file name that is not valid UTF-8 is a clear build error" {
	one_spec
	touch "pkgs/p/$(printf 'latin1-\xe9t\xe9')"
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "is not valid UTF-8 (byte 7)"
	[[ ! -e b.run ]]
}

# ---- one option vocabulary --------------------------------------------------------------------------

@test "options: --trust KEY.pub everywhere, old spellings kept as hidden aliases" {
	std_bundle
	key other
	for cmd in verify list; do
		run "$IBPACK" $cmd b.run --trust k.pub
		assert_status 0
		run "$IBPACK" $cmd b.run --trust other.pub
		assert_status 2
		run "$IBPACK" $cmd b.run -p k.pub
		assert_status 0
		run "$IBPACK" $cmd b.run --pubkey=k.pub
		assert_status 0
	done
	run "$IBPACK" extract b.run -o lay --trust k.pub --package nd-driver -q
	assert_status 0
	run "$IBPACK" plan b.run --os ubuntu-22.04 --nic nd --trust k.pub
	assert_status 0
	run "$IBPACK" verify --help
	assert_output "--trust KEY.pub"
	assert_not_contains "$output" "--pubkey" "-p,"
}

@test "options: no abbreviations, a missing value, an unknown option and extra arguments: one line each" {
	std_bundle
	run --separate-stderr "$IBPACK" verify b.run --trus k.pub
	assert_status 1
	[[ $stderr == "ibpack verify: unknown option '--trus' (see 'ibpack verify --help')" ]]
	run --separate-stderr "$IBPACK" verify b.run --trust-c ca.pem
	assert_status 1
	[[ $(lines "$stderr") -eq 1 ]]
	run --separate-stderr "$IBPACK" verify b.run --trust
	assert_status 1
	[[ $stderr == "ibpack verify: option --trust needs a value (see 'ibpack verify --help')" ]]
	run --separate-stderr "$IBPACK" build spec.json extra.json -k k.key -o x.run
	assert_status 1
	[[ $stderr == "ibpack build: unexpected argument 'extra.json' (see 'ibpack build --help')" ]]
	run --separate-stderr "$IBPACK" list
	assert_status 1
	[[ $stderr == "ibpack list: missing BUNDLE (see 'ibpack list --help')" ]]
	run --separate-stderr "$IBPACK" list b.run --json=yes
	assert_status 1
	[[ $stderr == *"option --json takes no value"* ]]
}

@test "help: 'ibpack help CMD' is 'ibpack CMD --help'; an unknown topic exits 1" {
	for cmd in build verify list extract manifest signature attach-signature plan fetch-list check keygen extension sbom matrix report; do
		a=$("$IBPACK" help $cmd)
		b=$("$IBPACK" $cmd --help)
		[[ $a == "$b" && $a == "usage: ibpack $cmd"* ]] || { echo "help $cmd differs"; false; }
	done
	run "$IBPACK" help nope
	assert_status 1
	assert_output "no help topic 'nope'"
	run "$IBPACK" help
	assert_status 0
	assert_output "Exit codes: 0 success, 1 usage error, 2 invalid bundle"
}

# ---- exit codes per class ------------------------------------------------------------------------

@test "exit codes: usage 1, invalid bundle 2, other failure 3; the same mistake gives the same class" {
	std_bundle
	run "$IBPACK" verify b.run --bogus
	assert_status 1
	run "$IBPACK" extract b.run -o l --package nope
	assert_status 1
	assert_output "no package 'nope' in this bundle"
	run ./b.run --extract l --package nope
	assert_status 1
	run "$IBPACK" verify missing.run
	assert_status 3
	run "$IBPACK" build missing.json -k k.key -o x.run
	assert_status 3
	eval "$(regions b.run)"
	cp b.run bad.run
	flip bad.run $((PKG_OFF_ofed_cx3 + 3))
	run "$IBPACK" verify bad.run
	assert_status 2
	# A private key given where a public key belongs is a usage error, in ibpack and the bundle.
	run "$IBPACK" verify b.run --trust k.key
	assert_status 1
	assert_output "--trust: 'k.key'"
	run ./b.run --verify --trust k.key
	assert_status 1
	assert_output "--trust: 'k.key'"
}

@test "exit codes: a bundle run without root refuses the install up front, as a usage error" {
	std_bundle
	d=$(mktemp -d /tmp/ibpack-nonroot.XXXXXX)
	chmod 777 "$d"
	cp b.run "$d/"
	chmod 755 "$d/b.run"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$d/b.run" --os ubuntu-22.04 --nic cx6 \
		--log-file "$d/x.log" --tmpdir "$d"
	assert_status 1
	assert_output "installing drivers needs root (--detect, --list, --verify and --extract do not)"
	[[ -z $(find "$d" -mindepth 1 -not -name b.run -not -name x.log) ]]
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$d/b.run" --extract "$d/lay" --package ofed-ubuntu
	assert_status 0
	rm -rf "$d"
}

# ---- keys -------------------------------------------------------------------------------------------

@test "keys: an encrypted key needs --passin (env:, file:, fd:); without a TTY it says so once" {
	one_spec
	openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:s3cret -out enc.key 2>/dev/null
	chmod 600 enc.key
	run --separate-stderr "$IBPACK" build spec.json -k enc.key -o b.run </dev/null
	assert_status 3
	[[ $stderr == "ibpack: error: 'enc.key' is encrypted and no passphrase source is given (--passin env:VAR, file:PATH or fd:N)" ]]
	PW=s3cret run "$IBPACK" build spec.json -k enc.key -o b.run --passin env:PW -q
	assert_status 0
	printf 's3cret\n' >pw.txt
	run "$IBPACK" build spec.json -k enc.key -o b2.run --passin file:pw.txt -q
	assert_status 0
	run "$IBPACK" build spec.json -k enc.key -o b3.run --passin fd:5 -q 5<pw.txt
	assert_status 0
	PW=wrong run "$IBPACK" build spec.json -k enc.key -o b4.run --passin env:PW
	assert_status 3
	assert_output "cannot decrypt 'enc.key': wrong passphrase?"
	run "$IBPACK" build spec.json -k enc.key -o b4.run --passin pass:x
	assert_status 1
	assert_output "expected env:VAR, file:PATH or fd:N"
}

@test "keys: a private key readable by others is a warning, an error with --strict-keys" {
	one_spec
	key k
	chmod 644 k.key
	run "$IBPACK" build spec.json -k k.key -o b.run -q
	assert_status 0
	assert_output "warning: private key 'k.key' is readable by others (mode 0644)"
	run "$IBPACK" build spec.json -k k.key -o b2.run -q --strict-keys
	assert_status 3
	[[ ! -e b2.run ]]
	chmod 600 k.key
	run "$IBPACK" build spec.json -k k.key -o b3.run -q --strict-keys
	assert_status 0
	assert_not_contains "$output" "warning"
}

# ---- progress ---------------------------------------------------------------------------------------

@test "progress: off a terminal nothing unless --progress, which shows size, rate and ETA; --quiet wins" {
	make_pkg pkgs/p p
	truncate -s 300M pkgs/p/zeros.img
	one_spec compression=none
	key k
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 0
	[[ -z $stderr ]]
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run --progress
	assert_status 0
	assert_stderr "packing 1 package" "MiB / 300.0 MiB" "MiB/s" "ETA"
	run --separate-stderr "$IBPACK" extract b.run -o lay --progress
	assert_status 0
	assert_stderr "extracting" "/ 300.0 MiB"
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run --progress --quiet
	[[ -z $stderr ]]
	# On a terminal (script gives one) progress needs no option, in ibpack and in the bundle.
	run script -qec "'$IBPACK' build spec.json -k k.key -o b2.run" /dev/null
	assert_status 0
	assert_output "packing 1 package" "MiB / 300.0 MiB" "MiB/s"
	run script -qec "./b.run --extract lay2" /dev/null
	assert_status 0
	assert_output "extracting" "/ 300.0 MiB"
}

@test "progress: verify shows bytes checked, rate and ETA on a terminal or with --progress; --quiet and --json silence it" {
	make_pkg pkgs/p p
	truncate -s 300M pkgs/p/zeros.img
	one_spec compression=none
	key k
	"$IBPACK" build spec.json -k k.key -o b.run -q
	run --separate-stderr "$IBPACK" verify b.run --trust k.pub
	assert_status 0
	[[ -z $stderr ]]
	run --separate-stderr "$IBPACK" verify b.run --trust k.pub --progress
	assert_status 0
	# (the last line shows "done" where the ones before show the ETA)
	assert_stderr "verifying" "MiB / 30" "100%" "iB/s" "done"
	assert_output "b.run: valid"
	run --separate-stderr "$IBPACK" verify b.run --trust k.pub --progress --quiet
	assert_status 0
	[[ -z $stderr ]]
	run --separate-stderr "$IBPACK" verify b.run --trust k.pub --progress --json
	assert_status 0
	[[ -z $stderr ]]
	# On a terminal (script gives one) it needs no option.
	run script -qec "'$IBPACK' verify b.run --trust k.pub" /dev/null
	assert_status 0
	assert_output "verifying" "MiB / 30" "iB/s" "b.run: valid"
	run script -qec "'$IBPACK' verify b.run --trust k.pub --quiet" /dev/null
	assert_status 0
	assert_not_contains "$output" "verifying"
}
