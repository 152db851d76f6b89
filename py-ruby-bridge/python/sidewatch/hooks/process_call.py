"""Child processes from their audit events, described as node-asm describes a child_process call:
`file` is the program, `args` its arguments (without argv[0]), `shell` when a shell parses
`command_line`.

  subprocess.Popen (executable, args, cwd, env)   shell=True arrives as [/bin/sh, -c, cmd]
  os.system        (command,)
  os.exec          (path, args, env)              os.execv, execve, execl*, execvp*
  os.posix_spawn   (path, argv, env)              os.posix_spawn and posix_spawnp"""
import os

from ..detectors.shell_binary import is_shell_binary


class ProcessCall(object):
    __slots__ = ('method', 'file', 'args', 'shell', 'command_line', 'cwd', 'sync')

    def __init__(self, method, file, args, shell, command_line, cwd=None, sync=False):
        self.method = method
        self.file = file
        self.args = args
        self.shell = shell
        self.command_line = command_line
        self.cwd = cwd
        self.sync = sync


def _text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return os.fsdecode(bytes(value))
    if isinstance(value, os.PathLike):
        return _text(os.fspath(value))
    return str(value)


def _argv(args):
    if isinstance(args, (str, bytes, os.PathLike)):
        return [_text(args)]
    try:
        return [_text(a) for a in args]
    except TypeError:
        return []


def from_popen(args):
    executable, argv, cwd = args[0], _argv(args[1]), args[2]
    file = _text(executable) if executable is not None else (argv[0] if argv else '')
    rest = argv[1:]
    cwd_text = None if cwd is None else _text(cwd)
    if is_shell_binary(file) and len(rest) >= 2 and rest[0] == '-c':
        return ProcessCall('subprocess.Popen', file, rest, True, rest[1], cwd_text)
    return ProcessCall('subprocess.Popen', file, rest, False, ' '.join([file] + rest), cwd_text)


def from_system(args):
    command = _text(args[0])
    return ProcessCall('os.system', '/bin/sh', ['-c', command], True, command, None, True)


def from_exec(args, method='os.exec'):
    file = _text(args[0])
    argv = _argv(args[1])
    rest = argv[1:]
    if is_shell_binary(file) and len(rest) >= 2 and rest[0] == '-c':
        return ProcessCall(method, file, rest, True, rest[1])
    return ProcessCall(method, file, rest, False, ' '.join([file] + rest))


def from_posix_spawn(args):
    return from_exec(args, 'os.posix_spawn')
