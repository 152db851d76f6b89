"""The counts behind an `http.summary` event: the requests and outbound calls not reported one by
one, per (method, route, status) and (method, host, port, status), with duration sum and maximum.
A window holds at most MAX_ROWS rows per side; past that a request is counted in `overflow`."""
import threading
import time

from .envelope import cut, envelope, timestamp

MAX_ROWS = 1024


class HttpSummary(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._server = {}
        self._client = {}
        self._overflow = 0
        self._start = time.time()

    def add_request(self, method, route, status, duration_ms):
        # _add inlined: this runs for every request that is not reported on its own
        key = (method, status, route)
        with self._lock:
            row = self._server.get(key)
            if row is not None:
                row[0] += 1
                row[1] += duration_ms
                if duration_ms > row[2]:
                    row[2] = duration_ms
            elif len(self._server) >= MAX_ROWS:
                self._overflow += 1
            else:
                self._server[key] = [1, duration_ms, duration_ms]

    def add_call(self, method, host, port, status, duration_ms):
        self._add(self._client, (method, status, port, host), duration_ms)

    def _add(self, rows, key, duration_ms):
        with self._lock:
            row = rows.get(key)
            if row is not None:
                row[0] += 1
                row[1] += duration_ms
                if duration_ms > row[2]:
                    row[2] = duration_ms
            elif len(rows) >= MAX_ROWS:
                self._overflow += 1
            else:
                rows[key] = [1, duration_ms, duration_ms]

    def take(self, identity):
        """The window's event (None when nothing was counted); the next window starts now."""
        with self._lock:
            end = time.time()
            server, client, overflow, start = self._server, self._client, self._overflow, self._start
            self._server, self._client, self._overflow, self._start = {}, {}, 0, end
        if not server and not client and not overflow:
            return None
        body = {'start': timestamp(start), 'end': timestamp(end), 'server': [], 'client': []}
        for (method, status, route), row in server.items():
            out = {'method': cut(method, 32)}
            out.update(_totals(row))
            if route is not None:
                out['route'] = cut(route, 1024)
            if _valid_status(status):
                out['status'] = status
            body['server'].append(out)
        for (method, status, port, host), row in client.items():
            out = {'method': cut(method, 32), 'host': cut(host, 512)}
            out.update(_totals(row))
            if isinstance(port, int) and 0 <= port <= 65535:
                out['port'] = port
            if _valid_status(status):
                out['status'] = status
            body['client'].append(out)
        if overflow:
            body['overflow'] = overflow
        event = envelope(identity, 'http.summary')
        event['http'] = body
        return event


def _totals(row):
    return {'count': row[0], 'duration_ms_sum': _round(row[1]), 'duration_ms_max': _round(row[2])}


def _round(ms):
    return round(ms, 3) if ms > 0 else 0


def _valid_status(status):
    return isinstance(status, int) and 100 <= status <= 999
