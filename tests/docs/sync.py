#!/usr/bin/env python3
"""Checks that the man pages and the shell completions cover the CLI as its --help shows it.

usage: sync.py IBPACK STUB_LINUX [STUB_WINDOWS]

For every command listed by `ibpack --help`: a `.Ss COMMAND` section in man/ibpack.1 and the
command offered by bash and zsh for `ibpack <TAB>`. For every long option in `ibpack COMMAND
--help`: the option in that man section and offered by bash and zsh for `ibpack COMMAND
--<TAB>`. For every long option in a bundle's --help (the Linux stub run, the Windows stub's
help text read from the .exe): the option in man/ibpack-bundle.1 and offered for `./b.run
--<TAB>` (bash: _ibpack_bundle; zsh: the *.run pattern); every Windows installer switch
(/quiet, ...) in the Windows help: in man/ibpack-bundle.1. Both shells run their real completion
code (zsh through tests/docs/zcomplete.zsh). Prints one line per gap; exits 1 when there is any.
"""
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAN1 = os.path.join(REPO, "man", "ibpack.1")
MANB = os.path.join(REPO, "man", "ibpack-bundle.1")
BASH = os.path.join(REPO, "completion", "ibpack.bash")
ZSH = os.path.join(REPO, "completion", "_ibpack")
ZCOMPLETE = os.path.join(REPO, "tests", "docs", "zcomplete.zsh")
LONGOPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# Options a command's help mentions that belong to another program or command (extension's help
# shows how the handler runs the bundle, BUNDLE --extension COMMAND; sbom's names verify --sbom;
# report reads the output of BUNDLE --json; check names build's --allow-unknown-tokens).
MENTIONED = {"extension": {"--extension"}, "sbom": {"--sbom"}, "report": {"--json"},
             "check": {"--allow-unknown-tokens"}}


def run(*argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (" ".join(argv[:3]), r.returncode, r.stderr))
    return r.stdout


def word(name, text):
    """name (e.g. -trust or --trust) occurs in text as a whole option word."""
    return re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text) is not None


def bash_complete(func, *words):
    script = 'source "$1" || exit 1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); %s; printf "%%s\\n" "${COMPREPLY[@]}"' % func
    return set(run("bash", "-c", script, "sync", BASH, *words).split())


def zsh_complete(lines):
    """{line: set of candidates} from zsh's completion system (tests/docs/zcomplete.zsh)."""
    out = run("timeout", "120", "zsh", "-f", ZCOMPLETE, os.path.dirname(ZSH), *lines)
    got, cur = {}, None
    for ln in out.splitlines():
        if ln.startswith("== "):
            cur = got.setdefault(ln[3:], set())
        elif cur is not None:
            cur.add(ln)
    return got


def man_section(text, cmd):
    m = re.search(r"^\.Ss %s\n(.*?)(?=^\.S[sh] )" % re.escape(cmd), text, re.S | re.M)
    return m.group(1) if m else None


def main():
    ibpack, stub = sys.argv[1], sys.argv[2]
    wstub = sys.argv[3] if len(sys.argv) > 3 else None
    gaps = []
    man1, manb = (open(p).read() for p in (MAN1, MANB))

    top = run(ibpack, "--help")
    cmds = re.findall(r"^  ([a-z][a-z0-9-]*)(?= |$)", top.split("Commands:", 1)[1], re.M)
    if not cmds:
        gaps.append("no commands found in 'ibpack --help'")
    offered = bash_complete("_ibpack", "ibpack", "")
    zsh_got = zsh_complete(["ibpack ", "./b.run --"] + ["ibpack %s --" % c for c in cmds])
    for cmd in cmds:
        section = man_section(man1, cmd)
        zsh_opts = zsh_got.get("ibpack %s --" % cmd, set())
        if section is None:
            gaps.append("man/ibpack.1: no '.Ss %s' section" % cmd)
        if cmd not in offered:
            gaps.append("completion/ibpack.bash: 'ibpack <TAB>' does not offer %s (_ibpack_commands)" % cmd)
        if cmd not in zsh_got.get("ibpack ", set()):
            gaps.append("completion/_ibpack: 'ibpack <TAB>' does not offer %s (cmds)" % cmd)
        if cmd == "help":  # `ibpack help [COMMAND]` takes no options
            continue
        opts = sorted(set(LONGOPT.findall(run(ibpack, cmd, "--help"))) - {"--help"} - MENTIONED.get(cmd, set()))
        bash_opts = bash_complete("_ibpack", "ibpack", cmd, "--")
        for o in opts:
            if section is not None and not word(o[1:], section):
                gaps.append("man/ibpack.1: section '%s' lacks '.Fl %s'" % (cmd, o[1:]))
            if o not in bash_opts:
                gaps.append("completion/ibpack.bash: 'ibpack %s --<TAB>' does not offer %s (_ibpack_opts)" % (cmd, o))
            if o not in zsh_opts:
                gaps.append("completion/_ibpack: 'ibpack %s --<TAB>' does not offer %s (its '(%s)' branch)" % (cmd, o, cmd))

    bundle_help = run(stub, "--help")
    if wstub:
        data = open(wstub, "rb").read()
        start = data.find(b"usage: BUNDLE")
        if start < 0:
            gaps.append("%s: no help text found" % wstub)
        else:
            bundle_help += data[start:data.index(b"\0", start)].decode("utf-8", "replace")
    bash_bundle = bash_complete("_ibpack_bundle", "./b.run", "--")
    for o in sorted(set(LONGOPT.findall(bundle_help))):
        if not word(o[1:], manb):
            gaps.append("man/ibpack-bundle.1: lacks '.Fl %s'" % o[1:])
        if o not in bash_bundle:
            gaps.append("completion/ibpack.bash: '_ibpack_bundle' does not offer %s" % o)
        if o not in zsh_got.get("./b.run --", set()):
            gaps.append("completion/_ibpack: './b.run --<TAB>' does not offer %s (the bundle's _arguments)" % o)

    # Windows installer switches (/quiet, /log FILE, ...): named in the bundle's man page
    for sw in sorted(set(re.findall(r"^  (/[a-z?]+)", bundle_help, re.M))):
        if not re.search(r"Cm " + re.escape(sw) + r"(?![\w?])", manb):
            gaps.append("man/ibpack-bundle.1: lacks the Windows switch '.Cm %s'" % sw)

    for g in gaps:
        print(g)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
