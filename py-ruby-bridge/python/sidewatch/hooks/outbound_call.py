"""Outbound calls from their audit events:

  urllib.Request      (fullurl, data, headers, method)   every urllib.request.urlopen
  http.client.connect (self, host, port)                 http.client used directly
  socket.connect      (socket, address)                  any other TCP client (judged, not reported)

urllib opens its connection through http.client and a socket: a thread-local marker remembers the
call so that the lower layers of the same call are neither judged nor reported twice."""
import socket
import threading
from urllib.parse import urlsplit

_local = threading.local()


class OutboundCall(object):
    __slots__ = ('sink', 'method', 'url', 'host', 'port', 'report', 'blocked')

    def __init__(self, sink, method, url, host, port, report):
        self.sink = sink
        self.method = method
        self.url = url
        self.host = host
        self.port = port
        self.report = report
        self.blocked = False


def from_urllib(args):
    url, data, method = args[0], args[1], args[3]
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or '', parts.port
    except ValueError:
        host, port = '', None
    if port is None:
        port = 443 if url[:6].lower() == 'https:' else 80
    _local.pending = (host, port)
    return OutboundCall('urllib.request', method or ('POST' if data is not None else 'GET'), url, host, port, True)


def from_http_client(args):
    conn, host, port = args[0], args[1], args[2]
    if not isinstance(host, str):
        return None
    pending = getattr(_local, 'pending', None)
    if pending is not None and pending[0] == host and pending[1] == port:
        return None
    _local.pending = (host, port)
    scheme = 'https' if type(conn).__name__ == 'HTTPSConnection' else 'http'
    shown = '[%s]' % host if ':' in host else host
    return OutboundCall('http.client', 'CONNECT', '%s://%s:%s/' % (scheme, shown, port), host, port, False)


def from_socket(args):
    sock, address = args[0], args[1]
    if getattr(sock, 'family', None) not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return None
    host, port = address[0], address[1]
    if not isinstance(host, str) or not isinstance(port, int):
        return None
    pending = getattr(_local, 'pending', None)
    if pending is not None and pending[1] == port:
        return None
    shown = '[%s]' % host if ':' in host else host
    return OutboundCall('socket.connect', 'CONNECT', 'tcp://%s:%d/' % (shown, port), host, port, False)


def call_sent():
    """http.client.send: the pending call reached the wire; later connects are new calls."""
    _local.pending = None
