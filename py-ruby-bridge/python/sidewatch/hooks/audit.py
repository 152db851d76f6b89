"""The one audit hook (sys.addaudithook): every audit event of the process passes through `_hook`,
which costs one dict lookup for the events the bridge does not watch (object.__getattr__,
sys._getframe, compile, exec, import, ... are raised far more often than the watched ones). Watched events are
described (process_call, file_call, outbound_call) and handed to the Guard, which judges them
against the current request and reports them; a file opened by name goes to the Guard as its
path, described only when it is reported. In block mode the Guard raises Blocked, and the
audited call fails with it before it happens.

Audit hooks cannot be removed: stop() detaches the Guard and the hook does nothing after."""
import sys

from ..errors import Blocked
from ..thread_role import _local
from ..warn import internal_error
from . import file_call, outbound_call, process_call

_guard = None
_installed = False


def install(guard):
    global _guard, _installed
    _guard = guard
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def detach():
    global _guard
    _guard = None


def _process(describe):
    def handle(guard, event, args):
        guard.process(describe(args))
    return handle


def _file(guard, event, args):
    call = file_call.describe(event, args)
    if call is not None:
        guard.file(call)


def _open(guard, event, args):
    path = args[0] if args else None
    if type(path) is str:
        guard.open(path, args)  # the usual open: no FileCall unless it is reported
    else:
        _file(guard, event, args)


def _outbound(describe):
    def handle(guard, event, args):
        call = describe(args)
        if call is not None:
            guard.outbound(call)
    return handle


def _sent(guard, event, args):
    outbound_call.call_sent()


HANDLERS = {
    'subprocess.Popen': _process(process_call.from_popen),
    'os.system': _process(process_call.from_system),
    'os.exec': _process(process_call.from_exec),
    'os.posix_spawn': _process(process_call.from_posix_spawn),
    'urllib.Request': _outbound(outbound_call.from_urllib),
    'http.client.connect': _outbound(outbound_call.from_http_client),
    'http.client.send': _sent,
    'socket.connect': _outbound(outbound_call.from_socket),
}
for _name in file_call.FILE_EVENTS:
    HANDLERS[_name] = _file
HANDLERS['open'] = _open


_handler_of = HANDLERS.get


def _hook(event, args):
    handler = _handler_of(event)
    if handler is None:
        return
    guard = _guard
    if guard is None or _local.busy:  # detached; in the hook already or a bridge thread
        return
    _local.busy = True
    try:
        handler(guard, event, args)
    except Blocked:
        raise
    except Exception as err:
        internal_error('the %s hook' % event, err)
    finally:
        _local.busy = False
