#!/usr/bin/python3
"""The Azure Linux guest agent's own code (Debian package waagent) driving and judging a handler.

usage: agent_check.py COMMAND ARGS...   (environment: AGENT_LIB_DIR, AGENT_LOG_DIR, AGENT_HANDLER
                                         "Publisher.Type", AGENT_VERSION)
  unzip ZIP            unpack a handler package as the agent does (zipfile, then chmod u+x on every
                       file, HandlerManifest.json copied, status/ and config/ created,
                       HandlerEnvironment.json written); prints the handler's base dir
  settings SEQ JSON [PROTECTED]
                       write config/SEQ.settings as the agent does (JSON: public settings or null)
  manifest             load HandlerManifest.json with the agent's loader and check what it reads;
                       prints the commands and flags as JSON
  status [SEQ...]      read status/SEQ.status (no SEQ: the sequence number the agent would pick,
                       from the most recently modified settings file) with the agent's reader and
                       parser; fails unless the agent takes it as written (valid JSON, schema,
                       status value, integer code, size); prints what the agent reads as JSON (a
                       list of those for several SEQ)
  statusfile PATH      the same checks of one status file anywhere (the Windows layout), without
                       the agent's Linux folder logic
  run OP SEQ [OP SEQ...]
                       run handler commands (install, enable, disable, uninstall, update) through
                       ExtHandlerInstance, i.e. the agent's launch_command: sh -c from the base
                       dir, its environment, its timeout, its process-group kill; prints a JSON
                       list of {"ok": true} or the agent's error, and exits 3 if one failed

The agent is never started as a service: only its Python modules are imported, with its
configuration pointed at the test's directories.
"""
import json
import os
import re
import stat
import sys

import azurelinuxagent.common.conf as conf
import azurelinuxagent.ga.exthandlers as eh
from azurelinuxagent.common.exception import ExtensionError
from azurelinuxagent.common.protocol.restapi import Extension, ExtensionSettings, ExtensionStatus


class Protocol(object):
    """The part of the wire protocol launch_command uses."""

    def get_endpoint(self):
        return "168.63.129.16"


def fail(msg):
    sys.stderr.write("agent_check: %s\n" % msg)
    sys.exit(1)


def instance(seq=None, public=None, protected=None):
    conf.__conf__.values["Lib.Dir"] = os.environ["AGENT_LIB_DIR"]
    conf.__conf__.values["Extension.LogDir"] = os.environ["AGENT_LOG_DIR"]
    handler = Extension(name=os.environ["AGENT_HANDLER"])
    handler.version = os.environ["AGENT_VERSION"]
    ext = ExtensionSettings(name=handler.name, sequenceNumber=seq, publicSettings=public,
                            protectedSettings=protected,
                            certificateThumbprint="0" * 40 if protected else None)
    handler.settings.append(ext)
    return eh.ExtHandlerInstance(handler, Protocol()), ext


def cmd_unzip(zip_path):
    inst, _ = instance()
    base = inst.get_base_dir()
    if not inst._unzip_extension_package(zip_path, base):
        fail("the agent could not unzip %s" % zip_path)
    inst.initialize()
    print(base)


def cmd_settings(seq, public, protected=None):
    inst, ext = instance(int(seq), json.loads(public), protected)
    inst.update_settings(ext)


def cmd_manifest():
    inst, _ = instance()
    man = inst.load_manifest()
    raw = json.load(open(inst.get_manifest_file()))
    if not isinstance(raw, list) or len(raw) != 1:
        fail("HandlerManifest.json must be an array of one element: %r" % raw)
    hm = raw[0]["handlerManifest"]
    base = inst.get_base_dir()
    commands = {
        "install": man.get_install_command(), "uninstall": man.get_uninstall_command(),
        "update": man.get_update_command(), "enable": man.get_enable_command(),
        "disable": man.get_disable_command(),
    }
    for op, cmd in commands.items():
        if not isinstance(cmd, str) or not cmd:
            fail("no %s command" % op)
        exe = os.path.join(base, cmd.split()[0].lstrip(os.path.sep))
        st = os.lstat(exe)
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & stat.S_IXUSR:
            fail("%s command %r: %s is not an executable file" % (op, cmd, exe))
    for key in ("rebootAfterInstall", "reportHeartbeat", "continueOnUpdateFailure", "supportsMultipleExtensions"):
        if hm.get(key) is not False:
            fail("%s must be the JSON boolean false, not %r" % (key, hm.get(key)))
    if hm.get("updateMode") != "UpdateWithInstall" or not man.is_update_with_install():
        fail("updateMode must be UpdateWithInstall")
    if man.is_report_heartbeat() or man.is_continue_on_update_failure() or man.supports_multiple_extensions():
        fail("the agent reads a flag as true")
    full = inst.get_full_name()
    m = eh.HANDLER_COMPLETE_NAME_PATTERN.match(full)
    if not m or m.group(1) != inst.ext_handler.name or m.group(2) != inst.ext_handler.version:
        fail("the agent cannot split %r into name and version" % full)
    for root, dirs, files in os.walk(base):
        for n in dirs + files:
            if os.path.islink(os.path.join(root, n)):
                fail("symlink in the handler: %s" % os.path.join(root, n))
    print(json.dumps({"commands": commands, "updateMode": hm["updateMode"],
                      "flags": {k: hm[k] for k in ("rebootAfterInstall", "reportHeartbeat",
                                                   "continueOnUpdateFailure", "supportsMultipleExtensions")}}))


def check_status_file(path, seq_no, handler_name):
    """What the agent's reader and parser make of one status file; fails unless it is read as
    written."""
    try:
        text, data = eh.ExtHandlerInstance._read_and_parse_json_status_file(path)
        parsed = ExtensionStatus(seq_no=seq_no)
        eh.parse_ext_status(parsed, data)
    except eh.ExtensionStatusError as e:
        fail("the agent rejects %s: %s" % (path, e))
    if len(text) > eh._MAX_STATUS_FILE_SIZE_IN_BYTES:
        fail("%s is %d bytes, over the agent's limit" % (path, len(text)))
    raw = data[0]
    st = raw["status"]
    # parse_ext_status turns an unknown status value into "error" without complaint: check it.
    if st["status"] not in eh.ExtensionStatusValue.STRINGS:
        fail("status %r is not one the agent knows" % st["status"])
    for node in [st] + list(st.get("substatus") or []):
        if type(node.get("code")) is not int:
            fail("code %r is not an integer" % node.get("code"))
        fm = node.get("formattedMessage")
        if not fm or fm.get("lang") != "en-US" or not isinstance(fm.get("message"), str):
            fail("formattedMessage %r needs lang en-US and a message" % fm)
        if node["status"] not in eh.ExtensionStatusValue.STRINGS:
            fail("substatus status %r is not one the agent knows" % node["status"])
    if raw.get("version") != 1.0 or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", raw.get("timestampUTC", "")):
        fail("version must be 1.0 and timestampUTC an ISO 8601 UTC time: %r" % raw)
    if st.get("name") != handler_name:
        fail("status name %r is not the handler's %r" % (st.get("name"), handler_name))
    return parsed, {
        "seq": seq_no, "file": os.path.basename(path), "status": parsed.status, "code": parsed.code,
        "operation": parsed.operation, "message": parsed.message,
        "substatus": [{"name": s.name, "status": s.status, "code": s.code, "message": s.message}
                      for s in parsed.substatusList],
    }


def cmd_status(*seqs):
    results = []
    for seq in seqs or [None]:
        inst, ext = instance(int(seq) if seq is not None else None)
        seq_no, path = inst.get_status_file_path(ext)
        if path is None:
            fail("the agent finds no status file to read (sequence %s)" % seq_no)
        parsed, shown = check_status_file(path, seq_no, inst.ext_handler.name)
        # The agent's whole collection path must report the same (nothing replaced as malformed).
        full = inst.collect_ext_status(ExtensionSettings(name=ext.name, sequenceNumber=seq_no))
        if (full.status, full.code, full.message) != (parsed.status, parsed.code, parsed.message):
            fail("the agent reports %r instead" % ((full.status, full.code, full.message),))
        results.append(shown)
    print(json.dumps(results if len(seqs) > 1 else results[0]))


def cmd_statusfile(path):
    print(json.dumps(check_status_file(path, None, os.environ["AGENT_HANDLER"])[1]))


def run_op(op, seq):
    inst, ext = instance(int(seq))
    try:
        if op == "install":
            inst.install(extension=ext)
        elif op == "enable":
            inst.enable(extension=ext)
        elif op == "disable":
            inst.disable(extension=ext)
        elif op == "uninstall":
            inst.uninstall(extension=ext)
        elif op == "update":
            inst.update(disable_exit_codes={inst.ext_handler.name: 0}, updating_from_version="0.9.0",
                        extension=ext)
        else:
            fail("unknown operation %s" % op)
    except ExtensionError as e:
        return {"op": op, "ok": False, "code": e.code, "error": str(e)}
    return {"op": op, "ok": True}


def cmd_run(*args):
    results = [run_op(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    print(json.dumps(results))
    if not all(r["ok"] for r in results):
        sys.exit(3)


def main():
    cmds = {"unzip": cmd_unzip, "settings": cmd_settings, "manifest": cmd_manifest, "status": cmd_status,
            "statusfile": cmd_statusfile, "run": cmd_run}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        fail(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
