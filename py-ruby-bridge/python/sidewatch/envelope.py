"""The common envelope of every event the bridge sends, and the cut to schema lengths."""
import time
import uuid

SOURCE = 'python'


class Identity(object):
    """Who is reporting: the same for every event of this process (pid changes in a fork)."""

    __slots__ = ('service', 'runtime', 'pid', 'host')

    def __init__(self, service, runtime, pid, host=None):
        self.service = service
        self.runtime = runtime
        self.pid = pid
        self.host = host


def timestamp(at=None):
    """RFC 3339 UTC with milliseconds, e.g. 2026-11-26T14:52:15.123Z."""
    t = time.time() if at is None else at
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%03dZ' % (int(t * 1000) % 1000)


def envelope(identity, kind, request_id=None):
    env = {
        'id': str(uuid.uuid4()),
        'ts': timestamp(),
        'kind': kind,
        'source': SOURCE,
        'service': identity.service,
        'runtime': identity.runtime,
        'pid': identity.pid,
    }
    if identity.host is not None:
        env['host'] = identity.host
    if request_id is not None:
        env['request_id'] = cut(request_id, 128)
    return env


def cut(text, limit):
    """Cuts a string to the schema's limit so one huge value cannot get a batch rejected."""
    return text if len(text) <= limit else text[:limit]


def endpoint(address):
    """(host, port) as the schema's {address, port}, or None."""
    if not isinstance(address, tuple) or len(address) < 2 or not isinstance(address[0], str):
        return None
    port = address[1] if isinstance(address[1], int) and 0 <= address[1] <= 65535 else 0
    return {'address': cut(address[0], 64), 'port': port}


def error_text(err):
    return cut('%s: %s' % (type(err).__name__, err), 1024)
