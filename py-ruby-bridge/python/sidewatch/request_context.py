"""The incoming request a piece of code runs for: a contextvars variable the WSGI and ASGI
middleware set for each request (threads of a threaded server, asyncio tasks and
asyncio.to_thread all see their own), and the bounded flattening of what the attacker sent
(query, path, headers, cookies, form and JSON bodies, route parameters) into RequestInputs with
dotted names (`body.user.email`, `query.ids.0`), as node-asm names them.

Nothing is parsed until a hooked call looks: `inputs` runs the readers the middleware registered
at the first read (most requests never reach a sink)."""
import binascii
import contextvars
import itertools
import os

from .detectors.finding import RequestInput
from .warn import internal_error

MAX_INPUTS = 256      # at most this many inputs per request, however large the body
MAX_VALUE = 4096      # input values are cut to this many characters
MAX_DEPTH = 8         # objects nested deeper are not flattened further
MAX_VISITS = 4096     # nodes visited per add_inputs call

_current = contextvars.ContextVar('sidewatch.request', default=None)
_ID_PREFIX = binascii.hexlify(os.urandom(8)).decode('ascii')
_counter = itertools.count(1)


def current_request():
    return _current.get()


def enter_request(ctx):
    """Makes `ctx` the current request; returns the token for leave_request."""
    return _current.set(ctx)


def leave_request(token):
    _current.reset(token)


class RequestContext(object):
    """method, url (path and query), client and local (host, port), user_agent; `route` and
    `inputs` come from readers; `notable` (report the request) and `blocked` are set by hooks.

    A request that reaches no hooked call costs its creation and nothing else: the defaults are
    class attributes, and the id, the inputs and the route are made when first read."""

    notable = False
    blocked = False
    block_error = None
    environ = None          # the WSGI environ, for the WSGI readers
    body = None             # a buffered form or JSON body
    _id = None
    _inputs = None          # the flattened inputs, a list once read
    _seen = None
    _initial = ()           # one-shot readers: the request's own inputs
    _late = ()              # readers re-run at each read until they return True (route params)
    _route = None
    _route_reader = None

    def __init__(self, method, url, client=None, local=None, user_agent=None):
        self.method = method
        self.url = url
        self.client = client
        self.local = local
        self.user_agent = user_agent

    @property
    def id(self):
        if self._id is None:
            self._id = '%s-%s' % (_ID_PREFIX, _base36(next(_counter)))
        return self._id

    @property
    def inputs(self):
        if self._inputs is None:
            self._inputs = []
            self._seen = set()
        if self._initial:
            readers, self._initial = self._initial, ()
            for reader in readers:
                _run(reader, self)
        if self._late:
            late = self._late
            if len(late) == 1:
                if _run(late[0], self):
                    self._late = ()
            else:
                self._late = tuple(reader for reader in late if not _run(reader, self))
        return self._inputs

    @property
    def path_inputs(self):
        """The inputs the path-traversal check needs to see: every input a value of which can
        move a path may not be left out (the WSGI request leaves out the others when its raw
        text shows there are none)."""
        return self.inputs

    @property
    def route(self):
        if self._route is None and self._route_reader is not None:
            try:
                self._route = self._route_reader()
            except Exception as err:
                internal_error('reading the route', err)
                self._route_reader = None
        return self._route

    def add_reader(self, reader, late=False):
        if late:
            self._late = self._late + (reader,)
        else:
            self._initial = self._initial + (reader,)

    def set_route(self, route):
        self._route = route

    def set_route_reader(self, reader):
        self._route_reader = reader

    def add_inputs(self, source, value, prefix=None):
        """Flattens `value` into inputs named `<prefix>.<key>.<index>...` (prefix: the source)."""
        inputs = self._inputs
        if inputs is None:
            inputs = self._inputs = []
            self._seen = set()
        if len(inputs) >= MAX_INPUTS:
            return
        if type(value) is str and source != 'params' and source != 'body':
            # the usual input (a query value, a header): what _flatten would push, without the walk
            name = source if prefix is None else prefix
            inputs.append(RequestInput(name[:1024], value[:MAX_VALUE], source))
            return
        try:
            _flatten(self._inputs, self._seen if source in ('params', 'body') else None, source,
                     source if prefix is None else prefix, value, 0, [0])
        except Exception as err:
            internal_error('flattening request inputs', err)

    def add_pairs(self, source, pairs):
        """Name/value pairs in order (a query string); repeated names become `name.0`, `name.1`."""
        if len(pairs) == 1:
            name, value = pairs[0]
            self.add_inputs(source, value, '%s.%s' % (source, name))
            return
        counts = {}
        for name, _ in pairs:
            counts[name] = counts.get(name, 0) + 1
        index = {}
        for name, value in pairs:
            if counts[name] > 1:
                i = index.get(name, 0)
                index[name] = i + 1
                self.add_inputs(source, value, '%s.%s.%d' % (source, name, i))
            else:
                self.add_inputs(source, value, '%s.%s' % (source, name))


def _run(reader, ctx):
    try:
        return reader(ctx)
    except Exception as err:
        internal_error('reading request inputs', err)
        return True


def _flatten(inputs, seen, source, name, value, depth, visits):
    if len(inputs) >= MAX_INPUTS:
        return
    visits[0] += 1
    if visits[0] > MAX_VISITS:
        return
    if isinstance(value, str):
        _push(inputs, seen, source, name, value)
    elif isinstance(value, bool):
        _push(inputs, seen, source, name, 'true' if value else 'false')
    elif isinstance(value, (int, float)):
        _push(inputs, seen, source, name, repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value)) if isinstance(value, float) else str(value))
    elif isinstance(value, (bytes, bytearray)):
        _push(inputs, seen, source, name, bytes(value[:MAX_VALUE]).decode('utf-8', 'replace'))
    elif depth >= MAX_DEPTH or value is None:
        return
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if len(inputs) >= MAX_INPUTS or visits[0] >= MAX_VISITS:
                return
            _flatten(inputs, seen, source, '%s.%d' % (name, i), item, depth + 1, visits)
    elif isinstance(value, dict):
        for key, item in value.items():
            if len(inputs) >= MAX_INPUTS or visits[0] >= MAX_VISITS:
                return
            _flatten(inputs, seen, source, '%s.%s' % (name, key), item, depth + 1, visits)


def _push(inputs, seen, source, name, value):
    cut = value[:MAX_VALUE]
    if seen is not None:
        key = (source, name, cut)
        if key in seen:
            return
        seen.add(key)
    inputs.append(RequestInput(name[:1024], cut, source))


def _base36(n):
    digits = '0123456789abcdefghijklmnopqrstuvwxyz'
    out = ''
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
