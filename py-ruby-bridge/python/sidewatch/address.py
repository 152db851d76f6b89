"""Where the agent listens: `tcp://HOST:PORT` or `unix:/PATH` (the agent's own listen syntax)."""
import os
import re

_TCP = re.compile(r'tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})')


class AgentAddress(object):
    __slots__ = ('kind', 'path', 'host', 'port')

    def __init__(self, kind, path=None, host=None, port=None):
        self.kind = kind
        self.path = path
        self.host = host
        self.port = port

    def __str__(self):
        if self.kind == 'unix':
            return 'unix:%s' % self.path
        return 'tcp://%s:%d' % ('[%s]' % self.host if ':' in self.host else self.host, self.port)


def parse_agent_address(text):
    """(AgentAddress, None) or (None, what was wrong and what was expected)."""
    if text.startswith('unix:'):
        path = text[len('unix:'):]
        if path.startswith('///'):
            path = path[2:]
        if path == '':
            return None, 'has no socket path; expected unix:/PATH'
        return AgentAddress('unix', path=path if os.path.isabs(path) else os.path.abspath(path)), None
    m = _TCP.fullmatch(text)
    if m is None:
        return None, 'is not an agent address; expected tcp://127.0.0.1:7878 or unix:/PATH'
    port = int(m.group(2))
    if port < 1 or port > 65535:
        return None, 'has port %d; expected 1-65535' % port
    host = m.group(1)
    if host.startswith('['):
        host = host[1:-1]
    return AgentAddress('tcp', host=host, port=port), None
