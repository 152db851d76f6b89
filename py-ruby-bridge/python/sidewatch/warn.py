"""The bridge's only output: one line per error code for the life of the process, on stderr,
prefixed `sidewatch:`. Internal failures are also counted so stats() can show them."""
import sys
import threading

_warned = set()
_lock = threading.Lock()
_internal = [0]


def warn_once(code, message):
    with _lock:
        if code in _warned:
            return
        _warned.add(code)
    try:
        sys.stderr.write('sidewatch: %s: %s\n' % (code, ' '.join(message.split())))
        sys.stderr.flush()
    except Exception:
        pass  # stderr closed or broken: nothing more to do, and nothing the app should see.


def internal_error(where, err):
    """Records a bridge failure caught on its way to the application."""
    _internal[0] += 1
    warn_once('SW_ERR_INTERNAL', '%s failed (%s: %s); the application is not affected' % (where, type(err).__name__, err))


def internal_error_count():
    return _internal[0]
