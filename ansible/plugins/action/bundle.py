# The ibpack.fleet.bundle action: copies the bundle from the controller to the node when the
# node's copy differs (SHA-1 as Ansible's copy compares), then runs the module on the node.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.hashing import checksum


class ActionModule(ActionBase):

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        src = args.pop('src', None)
        try:
            if src and args.get('path'):
                raise AnsibleActionFail('src and path exclude each other')
            if not src and not args.get('path'):
                raise AnsibleActionFail('src (a bundle on the controller) or path (a bundle on the node) is required')
            if src:
                src = self._loader.get_real_file(self._find_needle('files', os.path.expanduser(src)), decrypt=False)
                dest = args.get('dest') or '/var/tmp/ibpack/' + os.path.basename(src)
                args['dest'] = dest
                stat = self._execute_remote_stat(dest, all_vars=task_vars, follow=False, checksum=True)
                if not stat.get('exists') or stat.get('checksum') != checksum(src):
                    staged = self._connection._shell.join_path(self._connection._shell.tmpdir, 'bundle.run')
                    self._transfer_file(src, staged)
                    self._fixup_perms2((self._connection._shell.tmpdir, staged))
                    args['staged'] = staged
                else:
                    args['path'] = dest
            result.update(self._execute_module(module_name='ibpack.fleet.bundle', module_args=args,
                                               task_vars=task_vars))
        except AnsibleActionFail as e:
            result.update(e.result)
        except Exception as e:  # a transfer or stat failure names the node's problem
            result.update(failed=True, msg=to_text(e))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
