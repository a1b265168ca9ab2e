#!/usr/bin/env bash
# Generates the binary seed corpora (footers, signature blocks, manifests, tar streams including
# hostile ones) from a real bundle, so no binary seed is committed. usage: mkcorpus.sh IBPACK OUTDIR
set -euo pipefail

ibpack=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"/{footer,sigblock,manifest,spec,extract,state}
cp "$(dirname "$0")"/corpus/spec/* "$out/spec/"
cp "$(dirname "$0")"/corpus/state/* "$out/state/"
cp "$(dirname "$0")"/corpus/manifest/* "$out/manifest/" 2>/dev/null || true

mkdir -p "$work/pkg/sub"
printf '#!/bin/sh\nexit 0\n' >"$work/pkg/install.sh"
echo data >"$work/pkg/sub/file"
cat >"$work/spec.json" <<'J'
{ "name": "seed", "version": "1", "sequence": 1, "target": "linux-x86_64", "chunk_size": 65536,
  "packages": [ { "id": "p", "name": "P", "version": "1", "source": "pkg", "compression": "zstd",
    "match": { "os": ["debian-12"], "nic": ["cx6"] }, "install": { "command": ["./install.sh"] } } ] }
J
"$ibpack" keygen -o "$work/k" >/dev/null
"$ibpack" build "$work/spec.json" -k "$work/k.key" -o "$work/b.run" -q
"$ibpack" manifest "$work/b.run" -o "$out/manifest/real.json"
size=$(stat -c %s "$work/b.run")
# footer target input: 8-byte big-endian end, then the footer
python3 - "$work/b.run" "$out" "$size" <<'PY'
import os, struct, sys, tarfile, io
path, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, 'rb').read()
foot = data[-64:]
open(os.path.join(out, 'footer', 'real'), 'wb').write(struct.pack('>Q', size) + foot)
_, _, _, stub_len, moff, mlen, soff, slen, blen = struct.unpack('<8sIIQQQQQQ', foot)
open(os.path.join(out, 'sigblock', 'real'), 'wb').write(data[soff:soff + slen])
payload = data[stub_len:moff]
open(os.path.join(out, 'extract', 'zstd-real'), 'wb').write(bytes([2]) + payload)

def tar(entries, name):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            t.addfile(e[0], io.BytesIO(e[1]) if e[1] is not None else None)
    open(os.path.join(out, 'extract', name), 'wb').write(bytes([0]) + buf.getvalue())

def info(n, typ=tarfile.REGTYPE, size=0, mode=0o644, link=''):
    i = tarfile.TarInfo(n); i.type = typ; i.size = size; i.mode = mode; i.linkname = link
    return i
tar([(info('ok/a', size=3), b'abc')], 'plain')
tar([(info('../escape', size=1), b'x')], 'dotdot')
tar([(info('/abs', size=1), b'x')], 'absolute')
tar([(info('link', tarfile.SYMTYPE, link='/etc/passwd'), None)], 'symlink')
tar([(info('f', size=1), b'x'), (info('h', tarfile.LNKTYPE, link='/etc/shadow'), None)], 'hardlink')
tar([(info('dev', tarfile.CHRTYPE), None)], 'device')
tar([(info('suid', size=1, mode=0o4755), b'x')], 'setuid')
tar([(info('d', size=1), b'x'), (info('d', size=1), b'y')], 'duplicate')
tar([(info('big', size=2 << 20), b'\0' * (2 << 20))], 'toolarge')

# manifests the parser must refuse as text before cJSON sees them (FORMAT.md: UTF-8 JSON)
real = open(os.path.join(out, 'manifest', 'real.json'), 'rb').read()
name_at = real.index(b'"name":') + len(b'"name":')
q = real.index(b'"', name_at) + 1
def mseed(name, insert):
    open(os.path.join(out, 'manifest', name), 'wb').write(real[:q] + insert + real[q:])
mseed('invalid-utf8', b'\xff\xfe')
mseed('overlong-utf8', b'\xc0\xaf')
mseed('surrogate-utf8', b'\xed\xa0\x80')
mseed('truncated-utf8', b'\xe2\x82')
mseed('raw-esc', b'\x1b[2J')
mseed('raw-newline', b'\n')
mseed('escaped-nul', b'\\u0000')
mseed('escaped-esc-ok', b'\\u001b[31m')
PY
echo "corpora in $out: $(find "$out" -type f | wc -l) files"
