"""Which threads are the bridge's own: the hooks ignore what they do (the reporter's socket
connects and file opens are not the application's)."""
import threading

_local = threading.local()


def mark_bridge_thread():
    _local.bridge = True


def is_bridge_thread():
    return getattr(_local, 'bridge', False)


class InHook(object):
    """Re-entrancy guard: audit events raised by the hook's own work are not judged again."""

    __slots__ = ()

    @staticmethod
    def enter():
        if getattr(_local, 'busy', False) or getattr(_local, 'bridge', False):
            return False
        _local.busy = True
        return True

    @staticmethod
    def leave():
        _local.busy = False
