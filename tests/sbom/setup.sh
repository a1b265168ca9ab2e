#!/usr/bin/env bash
# Installs the CycloneDX validator (tests/sbom/package.json, versions pinned by its lock file)
# from the npm registry into DEST (default build/cyclonedx): node_modules plus validate.js.
# A no-op when DEST already holds this lock file's install.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-build/cyclonedx}
if [[ -f $dest/package-lock.json && -d $dest/node_modules ]] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
	cp "$here/validate.js" "$dest/"
	exit 0
fi
command -v npm >/dev/null || { echo "tests/sbom/setup.sh: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$here/validate.js" "$dest/"
# --ignore-scripts: nothing from the registry runs at install time.
npm ci --prefix "$dest" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
