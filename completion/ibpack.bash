# bash completion for ibpack and for its bundles (installed as
# /usr/share/bash-completion/completions/ibpack). The option lists mirror `ibpack CMD --help`
# and a bundle's --help; tests/bats/docs.bats fails when they fall behind.
#
# A bundle has no fixed command name; to complete its options, after this file is loaded:
#     complete -F _ibpack_bundle rdma.run

_ibpack_commands="keygen build verify list extract manifest signature attach-signature plan
fetch-list check extension sbom report matrix install help"
_ibpack_os_tokens="ubuntu-18.04 ubuntu-20.04 ubuntu-22.04 ubuntu-24.04 rhel-7.9 rhel-8.6
rhel-8.8 rhel-9.2 almalinux-8.7 rocky-8.7 centos-7 sles-15.4 debian-11 debian-12 windows-10
windows-11 windows-server-2012 windows-server-2012r2 windows-server-2016 windows-server-2019
windows-server-2022 windows-server-2025"
_ibpack_nic_tokens="cx3 cx3pro cib cx4 cx4lx cx5 cx5ex cx6 cx6dx cx6lx cx7 cx8 bf2 bf3 nd"

# _ibpack_opts CMD: the options of one command.
_ibpack_opts() {
	case $1 in
	keygen) echo "-o --output --alg --json" ;;
	build) echo "-k --key -o --output --target --stub --trust --threshold --revoke --trust-ca
		--cms-cert --cms-key --cms-passin --cms-chain --unsigned --zstd-level --sbom --allow-unknown-tokens --passin
		--strict-keys --progress --json -q --quiet" ;;
	verify) echo "--trust --key-id --trust-ca --threshold --exact-trust --json --sbom --progress -q --quiet" ;;
	list) echo "--trust --key-id --trust-ca --json" ;;
	extract) echo "-o --output --package --trust --key-id --trust-ca -q --quiet --progress" ;;
	manifest) echo "-o --output" ;;
	signature) echo "-o --output --key-id --cms" ;;
	attach-signature) echo "--signer --alg --cms --trust-ca -o --output --json -q --quiet" ;;
	plan) echo "--os --nic --kernel --json --trust --key-id --trust-ca" ;;
	matrix) echo "--format --os --nic --trust" ;;
	fetch-list) echo "--json --format" ;;
	check) echo "--json --hash" ;;
	help) ;;
	extension) echo "-o --output --publisher --type --version --force --trust --key-id --trust-ca" ;;
	install) echo "--trust --trust-ca --package --os --nic --kernel --root --tmpdir --timeout --log-file
		--json --detect --allow-downgrade --reinstall --lock-wait --pass-env" ;;
	sbom) echo "-o --output --format --trust --trust-ca --threshold" ;;
	report) echo "--format -o --output" ;;
	esac
	echo "-h --help"
}

# _ibpack_files [GLOB...]: files matching any GLOB, plus directories to descend into (no GLOB:
# directories only).
_ibpack_files() {
	local IFS=$'\n' g
	local -a found=()
	for g in "$@"; do
		found+=($(compgen -f -X "!$g" -- "$cur"))
	done
	found+=($(compgen -d -- "$cur"))
	COMPREPLY=($(printf '%s\n' "${found[@]}" | sort -u))
	compopt -o filenames 2>/dev/null
	return 0
}

# _ibpack_os [SPEC]: the OS tokens written in SPEC (when it is a readable .json) and the common ones.
_ibpack_os() {
	local spec=$1
	{
		[[ $spec == *.json && -r $spec ]] && grep -oE '"[a-z]+(-[a-z]+)*-[0-9][0-9a-z.]*"' "$spec" | tr -d '"'
		printf '%s\n' $_ibpack_os_tokens
	} | sort -u
}

# _ibpack_arg CMD PREV [OPERAND]: completes the argument of option PREV (OPERAND: the command's
# first operand, for the OS tokens of a spec); returns 1 when PREV takes none.
_ibpack_arg() {
	case $2 in
	-k | --key)
		if [[ $1 == attach-signature ]]; then _ibpack_files '*.pub' '*.pem'; else _ibpack_files '*.key' '*.pem'; fi ;;
	-p | --pubkey | --trust | --revoke | --signer) _ibpack_files '*.pub' '*.pem' ;;
	--trust-ca | --cms-cert | --cms-chain) _ibpack_files '*.pem' '*.crt' ;;
	--cms-key) _ibpack_files '*.key' '*.pem' ;;
	--stub) _ibpack_files '*' ;;
	--sbom) _ibpack_files '*.json' ;;
	-o | --output)
		case $1 in
		keygen) COMPREPLY=() ;;
		extract) _ibpack_files ;;
		extension) _ibpack_files '*.zip' ;;
		sbom) _ibpack_files '*.json' ;;
		*) _ibpack_files '*' ;;
		esac ;;
	--alg) mapfile -t COMPREPLY < <(compgen -W "ed25519 ecdsa-p256 rsa-pss-3072" -- "$cur") ;;
	--target) mapfile -t COMPREPLY < <(compgen -W "linux-x86_64 windows-x86_64" -- "$cur") ;;
	--format)
		case $1 in
		sbom) mapfile -t COMPREPLY < <(compgen -W "cyclonedx" -- "$cur") ;;
		report | matrix) mapfile -t COMPREPLY < <(compgen -W "text markdown html json" -- "$cur") ;;
		*) mapfile -t COMPREPLY < <(compgen -W "plain urls" -- "$cur") ;;
		esac ;;
	--os) mapfile -t COMPREPLY < <(compgen -W "$(_ibpack_os "$3")" -- "$cur") ;;
	--nic) mapfile -t COMPREPLY < <(compgen -W "$_ibpack_nic_tokens" -- "$cur") ;;
	--passin | --cms-passin) mapfile -t COMPREPLY < <(compgen -W "env: file: fd:" -- "$cur"); compopt -o nospace 2>/dev/null ;;
	--threshold | --zstd-level | --key-id | --package | --publisher | --type | --version | --kernel) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

_ibpack() {
	local cur prev cmd i j operand
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} != -* ]] && { cmd=${COMP_WORDS[i]}; break; }
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$_ibpack_commands --help --version" -- "$cur")
		return 0
	fi
	for ((j = i + 1; j < COMP_CWORD; j++)); do
		[[ ${COMP_WORDS[j]} != -* && ${COMP_WORDS[j - 1]} != -* ]] && { operand=${COMP_WORDS[j]}; break; }
	done
	((COMP_CWORD > i + 1)) && _ibpack_arg "$cmd" "$prev" "$operand" && return 0
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_ibpack_opts "$cmd")" -- "$cur")
		return 0
	fi
	case $cmd in
	build | check | fetch-list) _ibpack_files '*.json' ;;
	report) _ibpack_files '*.json' '*.txt' '*.log' ;;
	plan | matrix) _ibpack_files '*.json' '*.run' '*.exe' ;;
	attach-signature) _ibpack_files '*.run' '*.exe' '*.sig' '*.p7s' ;;
	keygen) ;;
	help) mapfile -t COMPREPLY < <(compgen -W "$_ibpack_commands" -- "$cur") ;;
	*) _ibpack_files '*.run' '*.exe' ;;
	esac
	return 0
}

# _ibpack_bundle: a bundle's own options (BUNDLE --help).
_ibpack_bundle() {
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	--extract | --root | --sysroot | --state-dir | --tmpdir) _ibpack_files; return 0 ;;
	--log-file) _ibpack_files '*'; return 0 ;;
	--trust) _ibpack_files '*.pub' '*.pem'; return 0 ;;
	--trust-ca) _ibpack_files '*.pem' '*.crt'; return 0 ;;
	--os) mapfile -t COMPREPLY < <(compgen -W "$(_ibpack_os)" -- "$cur"); return 0 ;;
	--nic) mapfile -t COMPREPLY < <(compgen -W "$_ibpack_nic_tokens" -- "$cur"); return 0 ;;
	--extension) mapfile -t COMPREPLY < <(compgen -W "install enable disable uninstall update" -- "$cur"); return 0 ;;
	--package | --timeout | --lock-wait | --kernel) return 0 ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "--detect --list --verify --extract --package --os --nic
		--kernel --root --stage --unstage --trust --trust-ca --sysroot --tmpdir --keep --keep-source
		--uninstall-data --timeout --log-file --pass-env --state-dir
		--extension --allow-downgrade --reinstall --lock-wait --json -q --quiet -h --help --version --verbose" -- "$cur")
}

complete -F _ibpack ibpack
