#!/usr/bin/env bash
# Regenerates the driver matrices in the docs: every block between
#   <!-- ibpack matrix SPEC -->  and  <!-- /ibpack matrix -->
# in README.md and docs/*.md becomes `ibpack matrix SPEC --format markdown` (SPEC relative to the
# repository). With --check nothing is written: exit 1 naming each stale block.
# usage: docs-matrix.sh IBPACK [--check]
set -euo pipefail

ibpack=${1:?usage: docs-matrix.sh IBPACK [--check]}
check=${2:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
stale=0
for doc in "$repo/README.md" "$repo"/docs/*.md; do
	grep -q '<!-- ibpack matrix ' "$doc" || continue
	new=$(mktemp)
	python3 - "$ibpack" "$repo" "$doc" >"$new" <<'PY'
import re, subprocess, sys
ibpack, repo, doc = sys.argv[1:]
text = open(doc).read()
def block(m):
    spec = m.group(1)
    out = subprocess.run([ibpack, "matrix", repo + "/" + spec, "--format", "markdown"],
                         check=True, capture_output=True, text=True).stdout
    return "<!-- ibpack matrix %s -->\n%s<!-- /ibpack matrix -->" % (spec, out)
sys.stdout.write(re.sub(r"<!-- ibpack matrix (\S+) -->\n.*?<!-- /ibpack matrix -->", block, text, flags=re.S))
PY
	if cmp -s "$new" "$doc"; then
		rm -f "$new"
	elif [[ $check == --check ]]; then
		echo "stale: ${doc#"$repo"/} (run make docs-matrix)" >&2
		diff -u "$doc" "$new" | head -20 >&2 || true
		rm -f "$new"
		stale=1
	else
		cat "$new" >"$doc"
		rm -f "$new"
		echo "updated ${doc#"$repo"/}"
	fi
done
exit "$stale"
