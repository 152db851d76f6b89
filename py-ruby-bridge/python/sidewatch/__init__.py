"""sidewatch: runtime security monitoring for Python apps, reporting to the sidewatch agent over
its wire protocol (standard library only, Python >= 3.9).

    import sidewatch; sidewatch.start()       first thing in the app
    python -m sidewatch.run app.py [args]     or start it from outside

and wrap the web app: `app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)` (Flask, any WSGI
app) or `app = sidewatch.ASGIMiddleware(app)`."""
from .asgi import ASGIMiddleware
from .errors import Blocked, SDK_ERROR_CODES
from .request_context import current_request
from .runtime import running, start
from .version import VERSION
from .wsgi import WSGIMiddleware

__all__ = ['start', 'stop', 'stats', 'mode', 'current_request', 'Blocked', 'WSGIMiddleware', 'ASGIMiddleware',
           'SDK_ERROR_CODES', 'VERSION']


def stop():
    """Detaches the hooks, sends what is queued if connected, closes the connection."""
    bridge = running()
    if bridge is not None:
        bridge.stop()


def stats():
    """The reporter's counters: queued, inflight, sent, acked, rejected, dropped, reconnects,
    connected, internal_errors (all zero when the bridge is not running)."""
    bridge = running()
    if bridge is None:
        return {'queued': 0, 'inflight': 0, 'sent': 0, 'acked': 0, 'rejected': 0, 'dropped': 0, 'reconnects': 0,
                'connected': False, 'internal_errors': 0}
    return bridge.stats()


def mode():
    """`monitor` or `block`: SIDEWATCH_MODE when set, else the agent's (monitor until it answers)."""
    bridge = running()
    return 'monitor' if bridge is None else bridge.mode()
