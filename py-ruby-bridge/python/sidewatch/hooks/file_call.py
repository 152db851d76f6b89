"""File-system calls from their audit events, with node-asm's op names (fs-describe.ts) so the
agent's rules read them alike: `open` (builtin open, io.open, os.open), unlink, rename, readdir,
mkdir, rmdir, chmod, chown, truncate, symlink, link, copyFile, rm. Calls on a file descriptor are
not described (the path was seen at open)."""
import os

# audit event -> (op, index of the path argument, index of the second path or None)
FILE_EVENTS = {
    'open': ('open', 0, None),
    'os.remove': ('unlink', 0, None),
    'os.rename': ('rename', 0, 1),
    'os.listdir': ('readdir', 0, None),
    'os.scandir': ('readdir', 0, None),
    'os.mkdir': ('mkdir', 0, None),
    'os.rmdir': ('rmdir', 0, None),
    'os.chmod': ('chmod', 0, None),
    'os.chown': ('chown', 0, None),
    'os.truncate': ('truncate', 0, None),
    'os.symlink': ('symlink', 0, 1),
    'os.link': ('link', 0, 1),
    'shutil.copyfile': ('copyFile', 0, 1),
    'shutil.rmtree': ('rm', 0, None),
}


class FileCall(object):
    __slots__ = ('op', 'path', 'resolved', 'dest', 'flags')

    def __init__(self, op, path, resolved, dest=None, flags=None):
        self.op = op
        self.path = path
        self.resolved = resolved
        self.dest = dest
        self.flags = flags


def path_text(value):
    """A path argument as text, or None when it is not a path (an fd, None)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return os.fsdecode(bytes(value))
    if isinstance(value, os.PathLike):
        return path_text(os.fspath(value))
    return None


def describe(event, args):
    spec = FILE_EVENTS[event]
    op, at, dest_at = spec
    if len(args) <= at:
        return None
    path = path_text(args[at])
    if path is None:
        return None
    flags = None
    if event == 'open' and len(args) > 1:
        mode = args[1]
        flags = mode if isinstance(mode, str) else _flags_text(args[2] if len(args) > 2 else None)
    dest = path_text(args[dest_at]) if dest_at is not None and len(args) > dest_at else None
    return FileCall(op, path, abspath(path), dest, flags)


def _flags_text(flags):
    """os.open flags as fs flag letters (r, w, a, r+ ...)."""
    if not isinstance(flags, int):
        return None
    acc = flags & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
    plus = '+' if acc == os.O_RDWR else ''
    if flags & os.O_APPEND:
        return 'a' + plus
    if acc != os.O_RDONLY:
        return ('w' if flags & os.O_TRUNC or acc == os.O_WRONLY else 'r') + plus
    return 'r'


def abspath(path):
    """os.path.abspath, without its work for an absolute path that is already normal (the usual
    case: apps join their own absolute directory with a name)."""
    if path[:1] == '/' and path[-1] != '/' and '/.' not in path and '//' not in path:
        return path
    if '\0' in path:
        return _nul_safeabspath(path)
    return os.path.abspath(path)


def _nul_safeabspath(path):
    """abspath of a path holding a NUL (the call itself will fail on it, after the check)."""
    return path if path.startswith('/') else os.getcwd() + '/' + path
