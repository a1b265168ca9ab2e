#!/usr/bin/env python3
# resign.py IN OUT KEY PYCODE: writes OUT, bundle IN with its manifest changed by PYCODE (Python
# run on the parsed manifest `m`) and re-signed by KEY.key (Ed25519) with stock OpenSSL; the
# stub and payload are unchanged. It models a signer whose manifest was wrong: every signature
# and chunk check passes, so only the checks of the manifest's content can refuse it.
import json, os, struct, subprocess, sys
src, dst, key, code = sys.argv[1:5]
data = open(src, "rb").read()
_, _, stub, moff, mlen, soff, slen, _ = struct.unpack("<IIQQQQQQ", data[-56:])
m = json.loads(data[moff:moff + mlen])
sigblock = bytearray(data[soff:soff + slen])
exec(code)
manifest = json.dumps(m, indent=1, ensure_ascii=False).encode()
mf = dst + ".manifest"
open(mf, "wb").write(manifest)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key + ".key", "-rawin", "-in", mf],
                     check=True, capture_output=True).stdout
os.unlink(mf)
sigblock[52:52 + len(sig)] = sig
soff = moff + len(manifest)
pad = (8 - (soff + slen + 64) % 8) % 8
blen = soff + slen + pad + 64
footer = b"IBPKFTR1" + struct.pack("<IIQQQQQQ", 1, 64, stub, moff, len(manifest), soff, slen, blen)
open(dst, "wb").write(data[:moff] + manifest + bytes(sigblock) + bytes(pad) + footer)
os.chmod(dst, 0o755)
