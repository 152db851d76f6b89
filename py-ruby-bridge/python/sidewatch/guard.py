"""Judges each hooked call against the current request and reports what node-asm reports
(observe.ts and protect.ts):
- every child process (process.exec);
- file calls that touch a sensitive file or in which a detector found an attack (fs.op);
- outbound urllib calls (http.client: urllib opens a new connection for each, and node-asm
  reports every call on a new connection);
- an `attack` for every finding, stamped with the request; in block mode the call is stopped
  (Blocked is raised in its place) and the request marked to be answered 403.
Anything reported inside a request marks the request notable, so its http.request is sent too."""
import os
import sys

from .detectors import (detect_command_injection, detect_path_traversal, detect_shell_injection, detect_ssrf,
                        is_sensitive_path)
from .errors import Blocked
from .events import attack_event, exec_event, fs_event, http_client_event
from .hooks.file_call import abspath, describe as describe_file_call
from .request_context import _current

current_request = _current.get

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Guard(object):
    def __init__(self, identity, report, mode):
        self.identity = identity
        self.report = report
        self.mode = mode  # () -> 'monitor' | 'block'

    def process(self, call):
        request = current_request()
        blocked = False
        if request is not None:
            inputs = request.inputs
            # Only os.system is known to hand a shell its command line. Popen(shell=True) looks
            # like Popen(['/bin/sh', '-c', cmd]) in its audit event; the command-injection check
            # runs the shell analysis on the script and also catches the input being the program.
            finding = (detect_shell_injection(call.command_line, inputs) if call.method == 'os.system'
                       else detect_command_injection(call.file, call.args, inputs))
            if finding is not None:
                blocked = self._judge(finding, call.method, request)
            request.notable = True
        self.report(exec_event(self.identity, call, None if request is None else request.id, blocked))
        if blocked:
            raise request.block_error

    def file(self, call):
        request = current_request()
        finding = None if request is None else detect_path_traversal(call.path, call.resolved, request.path_inputs,
                                                                     call.op)
        if finding is not None or is_sensitive_path(call.resolved) is not None:
            self._file_event(call, request, finding)

    def open(self, path, args):
        """file() for a file opened by its name (the audit event `open`, `path` text), the call
        described only when it is reported."""
        resolved = abspath(path)
        request = current_request()
        finding = None if request is None else detect_path_traversal(path, resolved, request.path_inputs, 'open')
        if finding is not None or is_sensitive_path(resolved) is not None:
            self._file_event(describe_file_call('open', args), request, finding)

    def _file_event(self, call, request, finding):
        blocked = finding is not None and self._judge(finding, _file_sink(call.op), request)
        if request is not None:
            request.notable = True
        self.report(fs_event(self.identity, call, None if request is None else request.id, blocked))
        if blocked:
            raise request.block_error

    def outbound(self, call):
        request = current_request()
        blocked = False
        if request is not None:
            finding = detect_ssrf(call.url, request.inputs)
            if finding is not None:
                blocked = call.blocked = self._judge(finding, call.sink, request)
        if call.report:
            if request is not None:
                request.notable = True
            self.report(http_client_event(self.identity, call, None if request is None else request.id))
        if blocked:
            raise request.block_error

    def _judge(self, finding, sink, request):
        block = self.mode() == 'block'
        request.notable = True
        if block:
            request.blocked = True
            request.block_error = Blocked(finding.klass, sink)
        self.report(attack_event(self.identity, finding, sink, request, block, app_frame()))
        return block


def _file_sink(op):
    return 'open' if op == 'open' else 'os.%s' % op if op not in ('copyFile', 'rm') else (
        'shutil.copyfile' if op == 'copyFile' else 'shutil.rmtree')


def app_frame():
    """`file:line` of the first application frame: outside this package and the standard library."""
    try:
        frame = sys._getframe(2)
    except ValueError:
        return None
    stdlib = os.path.dirname(os.__file__)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_PACKAGE_DIR) and not name.startswith(stdlib) and not name.startswith('<'):
            return '%s:%d' % (name, frame.f_lineno)
        frame = frame.f_back
    return None
