#!/usr/bin/python
# The ibpack.fleet.bundle module: runs an ibpack bundle on the node and returns its JSON result.
# The action plugin of the same name copies the bundle from the controller first.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: bundle
short_description: Install an ibpack InfiniBand driver bundle and return its result
description:
  - Runs an ibpack bundle (a signed, self-extracting driver installer) with C(--json) and returns
    the one-line result it prints, parsed.
  - The bundle verifies its signature and every byte it uses, detects the NIC and the OS, and
    installs the matching package offline. A second run of the same bundle finds its install
    record and runs nothing (result C(already_installed)).
  - With I(src), the bundle is copied from the controller to I(dest) on the node, only when the
    node's copy differs. With I(path), a bundle already on the node is used.
  - Check mode runs C(--detect), which changes nothing and says whether an install would run.
version_added: "1.0.0"
options:
  src:
    description: The bundle on the controller, copied to I(dest) (handled by the action plugin).
    type: path
  dest:
    description: Where the copied bundle is kept on the node.
    type: path
    default: /var/tmp/ibpack/<basename of src>
  path:
    description: A bundle already on the node (instead of I(src)).
    type: path
  staged:
    description: Set by the action plugin, not by playbooks - where this run transferred a new copy of I(src).
    type: path
  extra_args:
    description: More bundle options, e.g. C(["--timeout", "3600"]) or C(["--package", "ID"]).
    type: list
    elements: str
    default: []
  reinstall:
    description: Run the installer even if the install record shows this bundle installed (C(--reinstall)).
    type: bool
    default: false
  not_failed:
    description:
      - Result kinds that are reported but do not fail the task. The default treats a node without
        an InfiniBand device and a node whose OS the bundle does not support as nothing to do.
    type: list
    elements: str
    default: [no_device, os_unsupported, kernel_unsupported]
author:
  - ibpack contributors
'''

EXAMPLES = r'''
- name: Install the InfiniBand drivers
  ibpack.fleet.bundle:
    src: files/rdma.run
  register: ib

- name: Reboot when the driver asks for it
  ansible.builtin.reboot:
  when: ib.reboot_required

- name: Use a bundle already on the node, and fail on nodes without a device too
  ibpack.fleet.bundle:
    path: /opt/drivers/rdma.run
    not_failed: []
'''

RETURN = r'''
result:
  description: The bundle's JSON result (docs/JSON.md), parsed.
  returned: when the bundle printed one
  type: dict
kind:
  description: The result kind, e.g. installed, already_installed, no_device, invalid.
  returned: always
  type: str
exit_code:
  description: The bundle's exit code (not C(rc), which Ansible would treat as a failure when non-zero).
  returned: always
  type: int
reboot_required:
  description: True while a reboot the driver install asked for has not happened (reboot_pending).
  returned: always
  type: bool
installer_ran:
  description: True when an installer ran in this run (the reason for changed).
  returned: always
  type: bool
stderr:
  description: The bundle's human output and log lines.
  returned: always
  type: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

# Results that mean the bundle did what was asked (docs/JSON.md).
OK_KINDS = ('installed', 'reboot_required', 'already_installed', 'selected', 'ok')


def place_bundle(module, staged, dest):
    """Moves a freshly transferred bundle into dest (0700 directory, 0700 file)."""
    d = os.path.dirname(dest)
    if d and not os.path.isdir(d):
        os.makedirs(d, 0o700)
    os.chmod(staged, 0o700)
    module.atomic_move(staged, dest)
    os.chmod(dest, 0o700)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            src=dict(type='path'),
            dest=dict(type='path'),
            staged=dict(type='path'),
            extra_args=dict(type='list', elements='str', default=[]),
            reinstall=dict(type='bool', default=False),
            not_failed=dict(type='list', elements='str', default=['no_device', 'os_unsupported', 'kernel_unsupported']),
        ),
        required_one_of=[('path', 'staged')],
        supports_check_mode=True,
    )
    p = module.params
    bundle = p['path']
    if p['staged']:
        # A new copy from the controller: in check mode it runs from where it was staged.
        if module.check_mode:
            os.chmod(p['staged'], 0o700)
            bundle = p['staged']
        else:
            bundle = p['dest']
            place_bundle(module, p['staged'], bundle)
    if not os.path.isfile(bundle):
        module.fail_json(msg="bundle '%s' does not exist on the node" % bundle, exit_code=-1, kind='missing',
                         reboot_required=False, installer_ran=False, stderr='')

    cmd = [bundle, '--json'] + list(p['extra_args'])
    if module.check_mode:
        cmd.append('--detect')
    if p['reinstall']:
        cmd.append('--reinstall')
    rc, out, err = module.run_command(cmd, check_rc=False)
    lines = [l for l in out.splitlines() if l.strip()]
    try:
        if len(lines) != 1:
            raise ValueError('%d lines on stdout' % len(lines))
        res = json.loads(lines[0])
        if not isinstance(res, dict):
            raise ValueError('not an object')
    except ValueError as e:
        module.fail_json(msg='the bundle did not print one JSON result (%s); exit %d: %s' % (e, rc, err.strip()[-2000:]),
                         exit_code=rc, kind='unreadable', reboot_required=False, installer_ran=False, stdout=out, stderr=err)

    kind = res.get('result', 'unreadable')
    ran = 'installer' in res
    if module.check_mode:
        changed = res.get('plan') in ('install', 'reinstall')
    else:
        changed = ran
    reboot = bool(res.get('reboot_pending', res.get('reboot_required', False)))
    ret = dict(changed=changed, result=res, kind=kind, exit_code=rc, reboot_required=reboot, installer_ran=ran,
               stderr=err, msg=res.get('message', ''))
    if kind not in OK_KINDS and kind not in p['not_failed']:
        module.fail_json(**ret)
    module.exit_json(**ret)


if __name__ == '__main__':
    main()
