"""Path traversal: a request input steered a file-system call outside the directory the app meant.

The path handed to the file system often no longer contains the input:
`os.path.normpath(os.path.join(base, '../../etc/passwd'))` gives `/etc/passwd`. So an input counts
as having reached the path either when it occurs in it as is, or when its normalised tail (what
is left after its leading `..` segments) is the tail of the resolved path. Only inputs that can
move a path at all are considered: with a `..` segment, absolute, `file:`, `~/`, or a NUL byte."""
from .decoded_values import input_values
from .finding import Finding
from . import posix_path


def detect_path_traversal(path, resolved, inputs, op=None):
    for input in inputs:
        value = input.value
        if ('%' not in value and value[:1] != '/' and '..' not in value and value[:2] != '~/'
                and value[:5] != 'file:' and '\0' not in value):
            continue  # the usual input: its only form is itself, and it cannot move a path
        if (value[:1] == '/' and value != resolved and value not in path and '%' not in value and '\0' not in value
                and '/.' not in value and '//' not in value and value[-1] != '/'):
            continue  # an absolute normal path (the request's own, usually) that is not the file's nor in it
        for value in input_values(input):
            if not _can_move_path(value):
                continue
            nul = value.find('\0')
            if nul != -1 and value[:nul + 1] in path:
                reason = 'input holds a NUL byte that would cut the path short'
            else:
                reason = _traversal(path, resolved, value)
            if reason is not None:
                return Finding('path_traversal', input, resolved, reason if op is None else '%s: %s' % (op, reason))
    return None


def _can_move_path(value):
    """The fast path: a plain file name (`report.v2.final.pdf`, `..hidden`) cannot leave a directory."""
    return (value[:1] == '/' or value.startswith('~/') or value.startswith('file:') or '\0' in value
            or _has_dot_dot_segment(value))


def _has_dot_dot_segment(value):
    at = value.find('..')
    while at != -1:
        before = '/' if at == 0 else value[at - 1]
        after = '/' if at + 2 == len(value) else value[at + 2]
        if before == '/' and after == '/':
            return True
        at = value.find('..', at + 1)
    return False


def _traversal(path, resolved, value):
    at = path.find(value)
    if at != -1:
        return _leaves_prefix(path, at, value)
    return _normalised_away(resolved, value)


def _leaves_prefix(path, at, value):
    """The input occurs as is: the text before it is the app's, so the directory it meant is known."""
    if at == 0:
        normal = posix_path.normalize(value)
        if normal[0] == '/':
            return 'input is an absolute path used as the whole path' if normal == posix_path.normalize(path) else None
        return 'input climbs above the working directory' if normal == '..' or normal.startswith('../') else None
    # `base + name` or `base/` + name: the intended directory is where the app's own text ends.
    d = posix_path.dirname(posix_path.normalize(path[:at] + 'x'))
    target = posix_path.normalize(path)
    if d == '.':
        inside = target != '..' and not target.startswith('../')
    else:
        inside = d == '/' or target == d or target.startswith(d + '/')
    return None if inside else 'input leads out of %s' % d


def _normalised_away(resolved, value):
    """The input no longer occurs: look for its normalised tail at the end of the resolved path."""
    if value.startswith('~/'):
        # The app expanded `~` to a home directory itself (the file system never does).
        if '~' not in resolved and resolved.endswith(posix_path.normalize(value[1:])):
            return 'input names a file in the home directory'
        return None
    normal = posix_path.normalize(_file_url_path(value) if value.startswith('file://') else value)
    if normal[0] == '/':
        return 'input is an absolute path that became the whole path' if resolved == normal else None
    tail = normal
    while tail.startswith('../'):
        tail = tail[3:]
    if tail.endswith('/'):
        tail = tail[:-1]
    # Only `..` segments left inside the input (`a/../b`): the path stays where the app put it.
    if tail == normal or tail in ('..', '', '.'):
        return None
    if resolved.endswith('/' + tail):
        ups = _count_ups(normal)
        return "input climbs %d %s out of the app's directory" % (ups, 'directory' if ups == 1 else 'directories')
    return None


def _count_ups(normal):
    n = 0
    i = 0
    while normal.startswith('../', i):
        n += 1
        i += 3
    return n


def _file_url_path(url):
    """`file:///etc/passwd` and `file://localhost/etc/passwd` both name `/etc/passwd`."""
    slash = url.find('/', 7)
    return '/' if slash == -1 else url[slash:]
