"""What happens at the end of a request (node-asm observe.ts): a remarkable request (an attack, a
block, 401/403/5xx, or anything reported under it) is sent as http.request; the rest is counted in
the http.summary window, sent every SIDEWATCH_SUMMARY_INTERVAL_MS and at exit."""
from .events import http_request_event


class RequestReport(object):
    def __init__(self, identity, report, summary, http_events):
        self.identity = identity
        self.report = report
        self.summary = summary
        self.all = http_events == 'all'

    def finish(self, request, status, duration_ms):
        if (request.notable or request.blocked or self.all or status == 401 or status == 403
                or (isinstance(status, int) and status >= 500)):
            self.report(http_request_event(self.identity, request, status, duration_ms))
        else:
            self.summary.add_request(request.method, request.route, status, duration_ms)

    def flush(self):
        event = self.summary.take(self.identity)
        if event is not None:
            self.report(event)
