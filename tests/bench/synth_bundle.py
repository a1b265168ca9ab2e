#!/usr/bin/env python3
"""A huge, valid, sparse bundle for the scaling table: N - 1 synthetic packages of zeros plus
the one real package of a small bundle built by ibpack, signed again with stock OpenSSL.

    synth_bundle.py SRC OUT KEY NPKG CHUNKS

SRC is a bundle of one package (64 KiB chunks, Ed25519 key KEY.key); OUT gets NPKG - 1 packages
of CHUNKS x 64 KiB zeros each (never matched by detection: OS pattern "synthetic-*"), then SRC's
package, last, so that it starts beyond all of them. The zeros are holes: OUT takes little disk
space whatever its size. Every hash is right (the zeros' whole-blob SHA-256 is computed once), so
--list, --detect and installing the real package work as on a built bundle of that size."""
import hashlib
import json
import os
import struct
import subprocess
import sys

src, out, key, npkg, chunks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
data = open(src, "rb").read()
_, _, stub, moff, mlen, soff, slen, _ = struct.unpack("<IIQQQQQQ", data[-56:])
m = json.loads(data[moff:moff + mlen])
cs = m["chunk_size"]
assert cs == 65536 and len(m["packages"]) == 1, "SRC: one package at 64 KiB chunks"
sigblock = bytearray(data[soff:soff + slen])
assert struct.unpack("<I", sigblock[8:12])[0] == 1, "SRC: one signature"
real = m["packages"][0]
rb = real["blob"]
real_blob = data[rb["offset"]:rb["offset"] + rb["length"]]
real_nchunks = (rb["length"] + cs - 1) // cs
real_table = data[rb["chunk_table"]["offset"]:rb["chunk_table"]["offset"] + 32 * real_nchunks]

length = chunks * cs
whole = hashlib.sha256()
zeros = bytes(64 << 20)
left = length
while left:
    n = min(left, len(zeros))
    whole.update(zeros[:n])
    left -= n
table = hashlib.sha256(bytes(cs)).digest() * chunks
table_sha = hashlib.sha256(table).hexdigest()

pkgs, off = [], stub
for i in range(1, npkg):
    p = json.loads(json.dumps(real))
    p["id"] = "syn%04d" % i
    p["match"] = {"os": ["synthetic-*"], "nic": ["cx6"]}
    p["blob"] = {"offset": off, "length": length, "compression": "none", "sha256": whole.hexdigest()}
    pkgs.append(p)
    off += length
real["blob"] = dict(rb, offset=off)
pkgs.append(real)
off += len(real_blob)
for p in pkgs[:-1]:
    p["blob"]["chunk_table"] = {"offset": off, "sha256": table_sha}
    off += len(table)
real["blob"]["chunk_table"] = dict(rb["chunk_table"], offset=off)
off += len(real_table)
m["packages"] = pkgs
manifest = json.dumps(m, indent=1).encode()
mf = out + ".manifest"
open(mf, "wb").write(manifest)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key + ".key", "-rawin", "-in", mf],
                     check=True, capture_output=True).stdout
os.unlink(mf)
assert len(sig) == struct.unpack("<I", sigblock[48:52])[0]
sigblock[52:52 + len(sig)] = sig
moff, soff = off, off + len(manifest)
pad = (8 - (soff + slen + 64) % 8) % 8
blen = soff + slen + pad + 64
with open(out, "wb") as f:
    f.write(data[:stub])
    f.seek(real["blob"]["offset"])  # the synthetic blobs: a hole
    f.write(real_blob)
    for _ in pkgs[:-1]:
        f.write(table)
    f.write(real_table)
    f.write(manifest + bytes(sigblock) + bytes(pad))
    f.write(b"IBPKFTR1" + struct.pack("<IIQQQQQQ", 1, 64, stub, moff, len(manifest), soff, slen, blen))
os.chmod(out, 0o755)
print(npkg, (npkg - 1) * chunks + real_nchunks, len(manifest), blen)
