"""ASGI middleware: `app = sidewatch.ASGIMiddleware(app)`. For each HTTP request it holds a
RequestContext in the contextvars variable while the app runs (tasks the app creates and
asyncio.to_thread inherit it), records the body as the app receives it (form and JSON, for the
inputs), and reports the request when it ends.

Block mode: the response start is held until the first body message, so a request blocked
before its body is answered 403 in place of whatever the app was answering. A request blocked
after its body started streaming is cut short."""
import time

from . import block_response
from .errors import Blocked
from .request_context import RequestContext, enter_request, leave_request
from .request_inputs import MAX_BODY, add_body_inputs, add_header_inputs, add_url_inputs, wants_body
from .runtime import active_request_report
from .warn import internal_error


class ASGIMiddleware(object):
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        report = active_request_report() if scope.get('type') == 'http' else None
        if report is None or 'sidewatch.request' in scope:
            return await self.app(scope, receive, send)
        try:
            exchange = _Exchange(scope, receive, send)
        except Exception as err:
            internal_error('reading an ASGI request', err)
            return await self.app(scope, receive, send)
        request = exchange.request
        scope = dict(scope)
        scope['sidewatch.request'] = request
        started = time.perf_counter()
        token = enter_request(request)
        failure = None
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Blocked:
            pass
        except Exception as err:
            failure = err
        finally:
            leave_request(token)
        try:
            if request.blocked and not exchange.started:
                await exchange.send_blocked()
            elif exchange.held is not None:
                await exchange.release()
        finally:
            status = 403 if request.blocked and exchange.status in (None, 403) else exchange.status
            if failure is not None and status is None:
                status = 500
            report.finish(request, status, (time.perf_counter() - started) * 1000.0)
        if failure is not None and not request.blocked:
            raise failure


class _Exchange(object):
    def __init__(self, scope, receive, send):
        self._receive = receive
        self._send = send
        headers = [(k.decode('latin-1').lower(), v.decode('latin-1')) for k, v in scope.get('headers', [])]
        content_type = next((v for k, v in headers if k == 'content-type'), None)
        user_agent = next((v for k, v in headers if k == 'user-agent'), None)
        path = scope.get('path', '')
        query = scope.get('query_string', b'').decode('latin-1')
        client, server = scope.get('client'), scope.get('server')
        self.request = RequestContext(scope.get('method', 'GET'), path + ('?' + query if query else ''),
                                      tuple(client) if client else None, tuple(server) if server else None, user_agent)
        self._body = bytearray() if wants_body(content_type) else None
        self._body_done = False
        self.started = False
        self.status = None
        self.held = None

        def read_own(ctx):
            add_url_inputs(ctx, path, query)
            add_header_inputs(ctx, headers)

        def read_body(ctx):
            if self._body is None:
                return True
            if not self._body_done:
                return False
            add_body_inputs(ctx, content_type, bytes(self._body))
            return True
        self.request.add_reader(read_own)
        self.request.add_reader(read_body, late=True)
        route = scope.get('route')
        if route is not None and hasattr(route, 'path'):
            self.request.set_route_reader(lambda: route.path)

    async def receive(self):
        message = await self._receive()
        if message.get('type') == 'http.request' and self._body is not None and not self._body_done:
            chunk = message.get('body', b'')
            if len(self._body) + len(chunk) > MAX_BODY:
                self._body = None
            else:
                self._body += chunk
                self._body_done = not message.get('more_body', False)
        return message

    async def send(self, message):
        kind = message.get('type')
        if kind == 'http.response.start':
            self.status = message.get('status')
            self.held = message
            return
        if self.request.blocked and not self.started:
            return  # the 403 goes out after the app returns
        if self.held is not None:
            await self.release()
        if kind == 'http.response.body':
            self.started = True
        await self._send(message)

    async def release(self):
        held, self.held = self.held, None
        self.started = True
        await self._send(held)

    async def send_blocked(self):
        payload = block_response.body(self.request)
        self.held = None
        self.status = 403
        self.started = True
        headers = [(k.lower().encode('latin-1'), v.encode('latin-1')) for k, v in block_response.headers(payload)]
        await self._send({'type': 'http.response.start', 'status': 403, 'headers': headers})
        await self._send({'type': 'http.response.body', 'body': payload})
