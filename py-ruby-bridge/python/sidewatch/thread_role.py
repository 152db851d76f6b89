"""Which threads are the bridge's own: the hooks ignore what they do (the reporter's socket
connects and file opens are not the application's)."""
import threading


class _Role(threading.local):
    bridge = False   # a thread of the bridge (reporter, summary timer)
    busy = False     # the hooks skip this thread now: in a hook already, or a bridge thread


_local = _Role()


def mark_bridge_thread():
    _local.bridge = True
    _local.busy = True


def is_bridge_thread():
    return _local.bridge


class InHook(object):
    """Re-entrancy guard: audit events raised by the hook's own work are not judged again, and a
    bridge thread's are never judged. (The audit hook inlines `enter` for speed.)"""

    __slots__ = ()

    @staticmethod
    def enter():
        if _local.busy:
            return False
        _local.busy = True
        return True

    @staticmethod
    def leave():
        _local.busy = False
