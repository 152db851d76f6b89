"""Files whose opening is an event on its own, inside a request or not: password hashes, process
environments (where Fargate tasks keep their secrets), SSH keys, AWS credentials and mounted
secrets. Checked on resolved absolute paths with prefix and suffix tests, cheap enough for every
open."""
from . import posix_path

_EXACT = {
    '/etc/shadow': 'password hashes',
    '/etc/gshadow': 'password hashes',
    '/etc/shadow-': 'password hashes',
    '/etc/sudoers': 'sudo configuration',
    '/proc/self/environ': 'process environment',
    '/proc/thread-self/environ': 'process environment',
}

_PREFIXES = (
    ('/var/run/secrets/', 'mounted secrets'),
    ('/run/secrets/', 'mounted secrets'),
    ('/etc/ssh/ssh_host_', 'SSH host keys'),
)


def is_sensitive_path(resolved):
    """A label for the kind of secret at `resolved`, or None."""
    # Every rule below needs one of these words in a segment of the path; normalising only drops
    # segments, so a path without any of them is not sensitive (most opens end here).
    if not ('ssh' in resolved or 'environ' in resolved or 'secrets' in resolved or 'shadow' in resolved
            or 'sudoers' in resolved or '.aws' in resolved):
        return None
    path = posix_path.normalize(resolved) if ('//' in resolved or '/.' in resolved) else resolved
    exact = _EXACT.get(path)
    if exact is not None:
        return exact
    for prefix, label in _PREFIXES:
        if path.startswith(prefix):
            return label
    if '/.ssh/' in path:
        return 'SSH keys'
    if path.endswith('/.aws/credentials') or path.endswith('/.aws/config'):
        return 'AWS credentials'
    if path.startswith('/proc/') and path.endswith('/environ') and _is_process_environ(path):
        return 'process environment'
    return None


def _is_process_environ(path):
    """`/proc/<pid>/environ` and `/proc/<pid>/task/<tid>/environ`."""
    parts = path.split('/')
    if len(parts) == 4:
        return parts[2].isdigit() and parts[2].isascii()
    return (len(parts) == 6 and ((parts[2].isdigit() and parts[2].isascii()) or parts[2] == 'self')
            and parts[3] == 'task' and parts[4].isdigit() and parts[4].isascii())
