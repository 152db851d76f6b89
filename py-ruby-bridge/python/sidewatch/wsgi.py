"""WSGI middleware: `app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)` (Flask) or wrap any WSGI
callable. For each request it holds a RequestContext in the contextvars variable while the app
runs, so hooked calls are judged against the request's inputs (query, path, headers, cookies,
form and JSON body, and Flask/werkzeug route parameters), and reports the request when it ends,
with Flask's route template when werkzeug's Request has one.

Block mode: a call stopped by the bridge raises Blocked; whether the app lets it escape or catches
it (a 500 of its own), the response is replaced by a 403 as long as it has not started. The
status and headers the app gives start_response are held until the app returns, so a body can
still be replaced. A response that streams (a generator body) and is blocked while streaming is
cut short instead: its status is already on the wire."""
import io
import re
import time

from . import block_response
from .errors import Blocked
from .detectors.finding import RequestInput
from .request_context import MAX_VALUE, RequestContext, _current
from .request_inputs import MAX_BODY, add_body_inputs, add_header_inputs, add_url_inputs, wants_body
from .runtime import _running
from .warn import internal_error

_perf_counter = time.perf_counter
# A content type wants_body might accept (most requests have none, or text/plain from wsgiref).
_MAY_HAVE_BODY = re.compile('json|x-www-form-urlencoded').search
# The environ keys (after HTTP_) of the headers add_header_inputs takes besides any X-* one.
_INPUT_KEYS = frozenset(['USER_AGENT', 'USER-AGENT', 'REFERER', 'COOKIE'])
# The header keys add_header_inputs may take, per tuple of environ keys: clients send the same
# header names request after request, so a process sees a few such tuples (at most this many kept).
_header_keys_of = {}
MAX_KEY_TUPLES = 256


class WSGIMiddleware(object):
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        bridge = _running[0]  # active_request_report(), inlined: this runs for every request
        if bridge is None or not bridge.enabled or 'sidewatch.request' in environ:
            return self.app(environ, start_response)
        if not bridge.timer.running:
            bridge.timer.ensure_running()
        report = bridge.request_report
        try:
            request = WSGIRequest(environ, start_response)
        except Exception as err:
            internal_error('reading a WSGI request', err)
            return self.app(environ, start_response)
        environ['sidewatch.request'] = request
        token = _current.set(request)
        try:
            try:
                result = self.app(environ, request.hold)
            except Blocked:
                result = None
        finally:
            _current.reset(token)
        if request.blocked:
            if result is not None and hasattr(result, 'close'):
                _close(result)
            return _blocked(request, report)
        request.send_held()
        return _Body(result, request, report)


def _read_own(ctx):
    """The request's own inputs: path, query, headers, cookies and a form or JSON body."""
    add_url_inputs(ctx, ctx.path, ctx.query)
    add_header_inputs(ctx, _headers(ctx.environ))
    if ctx.body:
        add_body_inputs(ctx, ctx.environ.get('CONTENT_TYPE'), ctx.body)


def _read_route_params(ctx):
    """The route parameters, once werkzeug has them: re-read until they are there."""
    params = _view_args(ctx.environ)
    if params:
        ctx.add_inputs('params', params)
        return True
    return False


def _view_args(environ):
    """werkzeug (Flask) keeps its Request in the environ while the app runs; its view_args are
    the route parameters (a copy, or None)."""
    req = environ.get('werkzeug.request')
    args = getattr(req, 'view_args', None) if req is not None else None
    return dict(args) if args else None


def _may_move(text):
    """False when raw text (a query string, a cookie header, a body; str or bytes) shows that none
    of its values, decoded, can move a path: no `/` (a value may start with it), `~`, `%` or `\\`
    (they decode to anything), NUL, `..` or `file:`."""
    if isinstance(text, str):
        return ('/' in text or '%' in text or '..' in text or '~' in text or '\\' in text or '\0' in text
                or 'file:' in text)
    return (b'/' in text or b'%' in text or b'..' in text or b'~' in text or b'\\' in text or b'\0' in text
            or b'file:' in text)


class WSGIRequest(RequestContext):
    """The RequestContext of one WSGI request. It keeps the raw environ values it needs and
    decodes them when asked (most requests are only counted: method, route and status).

    The status and headers the app gives start_response (`hold`) are held until the app returns
    (`send_held`), so a blocked request can still be answered 403. The route template is read
    from werkzeug's Request (Flask's `url_rule`), noted when the app starts its response: Flask
    clears `environ['werkzeug.request']` before its wsgi_app returns."""

    _initial = (_read_own,)
    _late = (_read_route_params,)
    _held = None            # (status, headers, exc_info) given by the app, not sent yet
    _sent = False
    _server_write = None    # the server's write() once the held response is sent
    _status_line = None
    _werkzeug = None        # werkzeug's Request, noted at start_response

    def __init__(self, environ, start_response):
        self.started = _perf_counter()
        self.environ = environ
        self._start_response = start_response
        get = environ.get
        self.method = get('REQUEST_METHOD', 'GET')
        self._raw_path = get('PATH_INFO', '') or ''
        self.query = get('QUERY_STRING', '')
        self._peer = (get('REMOTE_ADDR'), get('REMOTE_PORT'), get('SERVER_NAME'), get('SERVER_PORT'),
                      get('HTTP_USER_AGENT'))
        content_type = get('CONTENT_TYPE')
        if content_type and _MAY_HAVE_BODY(content_type.lower()) is not None and wants_body(content_type):
            self.body = _buffer_body(environ)

    # -- what the request was, decoded when asked ---------------------------------------------

    @property
    def path(self):
        """PATH_INFO as the client sent it: WSGI hands it over as latin-1, browsers send UTF-8."""
        path = self._raw_path
        if not path.isascii():
            try:
                path = path.encode('latin-1').decode('utf-8')
            except UnicodeError:
                pass
        return path

    @property
    def url(self):
        query = self.query
        return self.path + ('?' + query if query else '')

    @property
    def client(self):
        remote, port = self._peer[0], self._peer[1]
        return (remote, _int(port)) if remote else None

    @property
    def local(self):
        server, port = self._peer[2], self._peer[3]
        return (server, _int(port)) if server else None

    @property
    def user_agent(self):
        return self._peer[4]

    @property
    def path_inputs(self):
        """The inputs the path-traversal check needs. It only looks at values that can move a path
        (absolute, `~/`, `file:`, a NUL, a `..` segment, in any of their percent-decoded forms).
        When the raw query, the input headers, the cookies and the body show that none of their
        values can be one, only the path and the route parameters are made into inputs (the other
        inputs could never be the one found: the finding is the same). Otherwise, and once the
        inputs were read for another check, all of them."""
        if self._inputs is not None or not self._only_path_can_move():
            return self.inputs
        inputs = []
        path = self.path
        if path and path != '/':
            inputs.append(RequestInput('path', path[:MAX_VALUE], 'path'))
        params = _view_args(self.environ)
        if params:
            own = RequestContext(None, None)
            own._inputs, own._seen = inputs, set()
            own.add_inputs('params', params)
        return inputs

    def _only_path_can_move(self):
        query = self.query
        if query and _may_move(query):
            return False
        environ = self.environ
        for key in _input_header_keys(environ):
            value = environ[key]
            if _may_move(value) if key[5:].lower() == 'cookie' else (
                    value[:1] == '/' or '%' in value or '..' in value or '\0' in value
                    or value[:2] == '~/' or value[:5] == 'file:'):
                return False
        body = self.body
        return not body or not _may_move(body)

    @property
    def route(self):
        route = self._route
        if route is None:
            try:
                req = self._werkzeug
                if req is None:
                    req = self.environ.get('werkzeug.request')
                route = getattr(getattr(req, 'url_rule', None), 'rule', None)
            except Exception as err:
                internal_error('reading the route', err)
                return None
            self._route = route
        return route

    @property
    def status(self):
        """The status code the app answered with (None before it started its response)."""
        line = self._status_line
        return None if line is None else _int(line.partition(' ')[0])

    # -- the held response ----------------------------------------------------------------------

    def hold(self, status, headers, exc_info=None):
        """The start_response the app is given."""
        if exc_info is not None and self._sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self._held = (status, headers, exc_info)
        if self._werkzeug is None:
            self._werkzeug = self.environ.get('werkzeug.request')
        return self._late_write

    def _late_write(self, data):
        """The write() callable of a held start_response: the first write sends the held status."""
        write = self.send_held()
        if write is not None:
            write(data)

    def send_held(self):
        """Calls the server's start_response with what the app gave (once); its write() or None."""
        held = self._held
        if held is None:
            return self._server_write
        status, headers, exc_info = held
        self._held = None
        self._sent = True
        self._status_line = status
        write = (self._start_response(status, headers, exc_info) if exc_info is not None
                 else self._start_response(status, headers))
        self._server_write = write
        return write


def _buffer_body(environ):
    """A form or JSON body small enough to keep is read now and handed back to the app as a
    fresh stream; anything else is left for the app to read."""
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
    """The request headers add_header_inputs may take, as (lower-case name, value), in environ
    order. Keys that cannot be one of them are skipped before their name is made."""
    for key in _input_header_keys(environ):
        yield key[5:].lower().replace('_', '-'), environ[key]


def _input_header_keys(environ):
    """The environ keys of the headers add_header_inputs may take, in environ order (the answer is
    kept per tuple of environ keys: a loop over the environ costs more than the rest of a check)."""
    shape = tuple(environ)
    try:
        keys = _header_keys_of.get(shape)
    except TypeError:  # an unhashable key
        return _header_keys(shape)
    if keys is None:
        keys = _header_keys(shape)
        if len(_header_keys_of) >= MAX_KEY_TUPLES:
            _header_keys_of.clear()
        _header_keys_of[shape] = keys
    return keys


def _header_keys(keys):
    return tuple(key for key in keys if isinstance(key, str) and key[:5] == 'HTTP_' and _may_be_input(key[5:]))


def _may_be_input(rest):
    return rest[:1] == 'X' or rest in _INPUT_KEYS or not (rest.isupper() and rest.isascii())


def _blocked(request, report):
    payload = block_response.body(request)
    if request._sent:
        request._start_response(block_response.STATUS, block_response.headers(payload),
                                 (Blocked, request.block_error, None))
    else:
        request._start_response(block_response.STATUS, block_response.headers(payload))
    report.finish(request, 403, (_perf_counter() - request.started) * 1000.0)
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

    __slots__ = ('_result', '_request', '_report')

    def __init__(self, result, request, report):
        self._result = result
        self._request = request
        self._report = report

    def __iter__(self):
        token = _current.set(self._request)
        try:
            for chunk in self._result:
                yield chunk
        except Blocked:
            return  # blocked while streaming: the status is on the wire, the body is cut short
        finally:
            _current.reset(token)

    def close(self):
        request = self._request
        try:
            close = getattr(self._result, 'close', None)
            if close is not None:
                close()
        finally:
            try:
                line = request._status_line
                self._report.finish(request, None if line is None else _int(line.partition(' ')[0]),
                                    (_perf_counter() - request.started) * 1000.0)
            except Exception as err:
                internal_error('reporting a WSGI request', err)
