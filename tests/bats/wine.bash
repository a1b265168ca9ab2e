# Shared by the bats files that run the Windows stub under Wine: Windows paths, the machine the
# stub detects (set through Wine's registry), running a command line with its full 32-bit exit
# code, and assertions on output and JSON.

WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64

# winpath PATH: the Windows name Wine gives a Linux path (drive Z: is the Linux root).
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# machine OS [DEVICE...]: what the stub will detect, set in one registry import.
#   OS      wine:PRESET (Wine's own version presets: win10, win81, win8, win7), or
#           client|server|dc:MAJOR.MINOR:BUILD (the NT registry keys Wine reads when no preset is
#           set: CurrentVersion, CurrentBuildNumber, ProductType WinNT/ServerNT/LanmanNT)
#   DEVICE  pci:DEVID:CLASS (a Mellanox PCI function; CLASS 020700 or the short 0207), nd (the
#           NetworkDirect VMBus device)
machine() {
	python3 - "$@" >m.reg <<'PY' || return 1
import sys
ENUM = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum"
ND = "{8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501}"
def multi(strings):
    data = "".join(s + "\0" for s in strings) + "\0"
    return "hex(7):" + ",".join("%02x" % b for b in data.encode("utf-16-le"))
out = ["Windows Registry Editor Version 5.00", ""]
for dev in "1003 1004 1007 1013 1014 1015 1016 1017 1018 1019 101A 101B 101C 101D 101E 101F 1021".split():
    out += [r"[-%s\PCI\VEN_15B3&DEV_%s&SUBSYS_000815B3&REV_00]" % (ENUM, dev), ""]
out += [r"[-%s\VMBUS\%s]" % (ENUM, ND), ""]
os_ = sys.argv[1]
if os_.startswith("wine:"):
    # Presets set the version numbers; the product type is still read from the registry.
    out += [r"[HKEY_CURRENT_USER\Software\Wine]", '"Version"="%s"' % os_[5:], "",
            r"[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Control\ProductOptions]", '"ProductType"="WinNT"', ""]
else:
    kind, ver, build = os_.split(":")
    out += [r"[HKEY_CURRENT_USER\Software\Wine]", '"Version"=-', "",
            r"[HKEY_LOCAL_MACHINE\Software\Microsoft\Windows NT\CurrentVersion]",
            '"CurrentVersion"="%s"' % ver, '"CurrentBuildNumber"="%s"' % build, '"CurrentBuild"="%s"' % build, "",
            r"[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Control\ProductOptions]",
            '"ProductType"="%s"' % {"client": "WinNT", "server": "ServerNT", "dc": "LanmanNT"}[kind], ""]
for i, d in enumerate(sys.argv[2:]):
    if d == "nd":
        out += [r"[%s\VMBUS\%s\{99221fa0-24ad-11e2-be98-001aa01bbf6e}]" % (ENUM, ND),
                # Wine's SetupAPI lists only devices with a ClassGUID; Windows lists any present one.
                '"ClassGUID"="{4d36e97d-e325-11ce-bfc1-08002be10318}"',
                '"HardwareID"=' + multi(["VMBUS\\" + ND]), ""]
        continue
    _, dev, cls = d.split(":")
    dev = dev.upper()
    out += [r"[%s\PCI\VEN_15B3&DEV_%s&SUBSYS_000815B3&REV_00\5&2c5e6b4c&0&%04d]" % (ENUM, dev, i),
            '"ClassGUID"="{4d36e972-e325-11ce-bfc1-08002be10318}"',
            '"HardwareID"=' + multi([r"PCI\VEN_15B3&DEV_%s&SUBSYS_000815B3&REV_00" % dev,
                                     r"PCI\VEN_15B3&DEV_%s&SUBSYS_000815B3" % dev]),
            '"CompatibleIDs"=' + multi([r"PCI\VEN_15B3&DEV_%s&REV_00" % dev, r"PCI\VEN_15B3&DEV_%s" % dev,
                                        r"PCI\VEN_15B3&CC_%s" % cls, r"PCI\VEN_15B3", r"PCI\CC_%s" % cls]), ""]
# UTF-16 with a BOM: Wine reads hex(7) data of an ANSI .reg file as ANSI bytes.
sys.stdout.buffer.write(("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-16-le"))
PY
	"$WINE" reg import m.reg >/dev/null 2>&1 || { echo "reg import failed" >&2; return 1; }
}

# wrun COMMAND...: runs a Windows command line in the work dir through cmd.exe; sets $status to
# the full 32-bit %ERRORLEVEL%, $output to stdout and $stderr to stderr (CRs removed).
wrun() {
	# cmd.exe's own exit status is not the program's: the echoed ERRORLEVEL is. The Windows stub
	# keeps its record in the prefix's %ProgramData%\ibpack, not in the Linux per-test state dir.
	IBPACK_STATE_DIR= "$WINE" cmd /c "$* & echo ibpack-rc=%ERRORLEVEL%" >.out 2>.err </dev/null || true
	output=$(tr -d '\r' <.out | sed 's/ibpack-rc=-\{0,1\}[0-9]*$//')
	stderr=$(tr -d '\r' <.err)
	status=$(tr -d '\r' <.out | grep -o 'ibpack-rc=-\{0,1\}[0-9]*$' | tail -1 | cut -d= -f2)
	# A cmd.exe that died before running anything (Wine under load) is tried once more too.
	if [[ -z $status && -z ${WRUN_RETRIED:-} ]]; then
		WRUN_RETRIED=1 wrun "$@"
		return
	fi
	[[ -n $status ]] || { echo "cmd.exe printed no exit code"; cat .out .err; return 1; }
	# Under heavy load Wine's cmd.exe now and then fails to start a program at all (9009, "Can't
	# recognize"): that says nothing about the stub, so such a run is repeated once.
	if [[ $status == 9009 && $stderr$output == *"Can't recognize"* && -z ${WRUN_RETRIED:-} ]]; then
		WRUN_RETRIED=1 wrun "$@"
		return
	fi
}

assert_status() {
	[[ $status -eq $1 ]] && return 0
	printf 'expected exit %s, got %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$1" "$status" "$output" "$stderr"
	return 1
}

assert_contains() {
	local text=$1 n
	shift
	for n in "$@"; do
		[[ $text == *"$n"* ]] || { printf 'expected to find: %s\n--- in:\n%s\n' "$n" "$text"; return 1; }
	done
}

# json_assert JSON EXPR...: every Python EXPR (d = the parsed JSON) is true.
json_assert() {
	python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError as e:
    sys.exit("not JSON (%s):\n%s" % (e, sys.argv[1]))
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("JSON check failed: %s\n%s" % (expr, json.dumps(d, indent=1)))' "$@"
}

