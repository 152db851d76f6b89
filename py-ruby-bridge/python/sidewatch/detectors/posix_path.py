"""Node's `path.posix.normalize` and `dirname`, which the path-traversal decisions are defined by.
Python's posixpath differs at the edges (normpath keeps a leading `//` and drops a trailing `/`;
dirname keeps a trailing `/`), so the detectors use these instead."""


def normalize(path):
    if path == '':
        return '.'
    if path[-1] != '/' and path[0] != '.' and '/.' not in path and '//' not in path:
        return path  # no empty, `.` or `..` segment, no trailing `/`: already normal
    absolute = path[0] == '/'
    trailing = path[-1] == '/'
    out = []
    for segment in path.split('/'):
        if segment == '' or segment == '.':
            continue
        if segment == '..':
            if out and out[-1] != '..':
                out.pop()
            elif not absolute:
                out.append('..')
            continue
        out.append(segment)
    body = '/'.join(out)
    if body == '':
        if absolute:
            return '/'
        return './' if trailing else '.'
    if trailing:
        body += '/'
    return '/' + body if absolute else body


def dirname(path):
    if path == '':
        return '.'
    absolute = path[0] == '/'
    end = -1
    matched_slash = True
    for i in range(len(path) - 1, 0, -1):
        if path[i] == '/':
            if not matched_slash:
                end = i
                break
        else:
            matched_slash = False
    if end == -1:
        return '/' if absolute else '.'
    if absolute and end == 1:
        return '//'
    return path[:end]


def resolve(base, path):
    """path.posix.resolve(base, path) with an absolute base."""
    joined = path if path[:1] == '/' else base + '/' + path
    out = normalize(joined)
    return out[:-1] if len(out) > 1 and out.endswith('/') else out


def join(base, path):
    """path.posix.join(base, path): concatenated with a `/`, then normalised."""
    if path == '':
        return normalize(base)
    return normalize(base + '/' + path)
