"""The one audit hook (sys.addaudithook): every audit event of the process passes through `_hook`,
which costs one dict lookup for the events the bridge does not watch. Watched events are
described (process_call, file_call, outbound_call) and handed to the Guard, which judges them
against the current request and reports them. In block mode the Guard raises Blocked, and the
audited call fails with it before it happens.

Audit hooks cannot be removed: stop() detaches the Guard and the hook does nothing after."""
import sys

from ..errors import Blocked
from ..thread_role import InHook
from ..warn import internal_error
from . import file_call, outbound_call, process_call

_state = {'guard': None, 'installed': False}


def install(guard):
    _state['guard'] = guard
    if not _state['installed']:
        sys.addaudithook(_hook)
        _state['installed'] = True


def detach():
    _state['guard'] = None


def _process(describe):
    def handle(guard, event, args):
        guard.process(describe(args))
    return handle


def _file(guard, event, args):
    call = file_call.describe(event, args)
    if call is not None:
        guard.file(call)


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


def _hook(event, args):
    handler = HANDLERS.get(event)
    if handler is None:
        return
    guard = _state['guard']
    if guard is None or not InHook.enter():
        return
    try:
        handler(guard, event, args)
    except Blocked:
        raise
    except Exception as err:
        internal_error('the %s hook' % event, err)
    finally:
        InHook.leave()
