"""WSGI middleware: `app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)` (Flask) or wrap any WSGI
callable. For each request it holds a RequestContext in the contextvars variable while the app
runs, so hooked calls are judged against the request's inputs (query, path, headers, cookies,
form and JSON body, and Flask/werkzeug route parameters), and reports the request when it ends.

Block mode: a call stopped by the bridge raises Blocked; whether the app lets it escape or catches
it (a 500 of its own), the response is replaced by a 403 as long as it has not started. The
status and headers the app gives start_response are held until the app returns, so a body can
still be replaced. A response that streams (a generator body) and is blocked while streaming is
cut short instead: its status is already on the wire."""
import io
import sys
import time

from . import block_response
from .errors import Blocked
from .flask_routes import flask_app_of, watch_routes
from .request_context import RequestContext, enter_request, leave_request
from .request_inputs import MAX_BODY, add_body_inputs, add_header_inputs, add_url_inputs, wants_body
from .runtime import active_request_report
from .warn import internal_error


class WSGIMiddleware(object):
    def __init__(self, app):
        self.app = app
        flask_app = flask_app_of(app)
        if flask_app is not None:
            watch_routes(flask_app)

    def __call__(self, environ, start_response):
        report = active_request_report()
        if report is None or 'sidewatch.request' in environ:
            return self.app(environ, start_response)
        try:
            request = _request(environ)
        except Exception as err:
            internal_error('reading a WSGI request', err)
            return self.app(environ, start_response)
        environ['sidewatch.request'] = request
        started = time.perf_counter()
        held = []

        def hold_start_response(status, headers, exc_info=None):
            if exc_info is not None and held and held[0] is None:
                raise exc_info[1].with_traceback(exc_info[2])
            held[:] = [(status, headers, exc_info)]
            return _late_write(held, start_response)

        token = enter_request(request)
        try:
            try:
                result = self.app(environ, hold_start_response)
            except Blocked:
                result = None
        finally:
            leave_request(token)
        if request.blocked:
            if result is not None and hasattr(result, 'close'):
                _close(result)
            return _blocked(request, report, started, start_response, held)
        status = _status(held)
        _send_held(held, start_response)
        return _Body(result, request, report, started, status)


def _request(environ):
    path = environ.get('PATH_INFO', '') or ''
    if not path.isascii():
        try:
            path = path.encode('latin-1').decode('utf-8')
        except UnicodeError:
            pass
    query = environ.get('QUERY_STRING', '')
    remote = environ.get('REMOTE_ADDR')
    server = environ.get('SERVER_NAME')
    request = RequestContext(environ.get('REQUEST_METHOD', 'GET'), path + ('?' + query if query else ''),
                             (remote, _int(environ.get('REMOTE_PORT'))) if remote else None,
                             (server, _int(environ.get('SERVER_PORT'))) if server else None,
                             environ.get('HTTP_USER_AGENT'))
    request.environ = environ
    request.body = _buffer_body(environ)
    request.add_reader(_read_own)
    request.add_reader(_read_route_params, late=True)
    request.set_route_reader(lambda: _route(environ))
    return request


def _read_own(ctx):
    """The request's own inputs: path, query, headers, cookies and a form or JSON body."""
    environ = ctx.environ
    query = environ.get('QUERY_STRING', '')
    add_url_inputs(ctx, ctx.url[:len(ctx.url) - len(query) - 1] if query else ctx.url, query)
    add_header_inputs(ctx, _headers(environ))
    if ctx.body:
        add_body_inputs(ctx, environ.get('CONTENT_TYPE'), ctx.body)


def _buffer_body(environ):
    """A form or JSON body small enough to keep is read now and handed back to the app as a
    fresh stream; anything else is left for the app to read."""
    if not wants_body(environ.get('CONTENT_TYPE')):
        return None
    length = _int(environ.get('CONTENT_LENGTH'))
    if not length or length > MAX_BODY:
        return None
    stream = environ.get('wsgi.input')
    if stream is None:
        return None
    body = stream.read(length)
    environ['wsgi.input'] = io.BytesIO(body)
    return body


def _headers(environ):
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            yield key[5:].lower().replace('_', '-'), value


def _read_route_params(ctx):
    """werkzeug (Flask) keeps its Request in the environ while the app runs; its view_args are
    the route parameters. Re-read until they are there."""
    req = ctx.environ.get('werkzeug.request')
    args = getattr(req, 'view_args', None) if req is not None else None
    if args:
        ctx.add_inputs('params', dict(args))
        return True
    return False


def _route(environ):
    req = environ.get('werkzeug.request')
    rule = getattr(req, 'url_rule', None) if req is not None else None
    return getattr(rule, 'rule', None)


def _late_write(held, start_response):
    """The write() callable of a held start_response: the first write sends the held status."""
    def write(data):
        real = _send_held(held, start_response)
        if real is not None:
            real(data)
    return write


def _send_held(held, start_response):
    """Calls the server's start_response with what the app gave (once); its write() or None."""
    if not held:
        return None
    if held[0] is None:
        return held[1]
    status, headers, exc_info = held[0]
    write = start_response(status, headers, exc_info) if exc_info is not None else start_response(status, headers)
    held[:] = [None, write]
    return write


def _status(held):
    if not held or held[0] is None:
        return None
    return _int(held[0][0].split(' ', 1)[0])


def _blocked(request, report, started, start_response, held):
    payload = block_response.body(request)
    already_sent = bool(held) and held[0] is None
    if already_sent:
        start_response(block_response.STATUS, block_response.headers(payload), (Blocked, request.block_error, None))
    else:
        start_response(block_response.STATUS, block_response.headers(payload))
    report.finish(request, 403, (time.perf_counter() - started) * 1000.0)
    return [payload]


def _close(result):
    try:
        result.close()
    except Exception as err:
        internal_error('closing a blocked response', err)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _Body(object):
    """The app's body, passed through; the request is reported when the server closes it."""

    def __init__(self, result, request, report, started, status):
        self._result = result
        self._request = request
        self._report = report
        self._started = started
        self._status = status

    def __iter__(self):
        token = enter_request(self._request)
        try:
            for chunk in self._result:
                yield chunk
        except Blocked:
            return  # blocked while streaming: the status is on the wire, the body is cut short
        finally:
            leave_request(token)

    def close(self):
        try:
            if hasattr(self._result, 'close'):
                self._result.close()
        finally:
            try:
                self._report.finish(self._request, self._status, (time.perf_counter() - self._started) * 1000.0)
            except Exception as err:
                internal_error('reporting a WSGI request', err)
