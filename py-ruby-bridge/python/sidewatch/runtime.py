"""start() and the one running bridge of the process: configuration, identity, the reporter, the
audit hook and the request reporting, wired together; at exit the summary is sent and queued
events are flushed (at most SIDEWATCH_FLUSH_TIMEOUT_MS); in a forked child everything starts
afresh. start() is idempotent and never raises: on an internal error the app runs on without it."""
import atexit
import os
import platform
import socket
import threading

from .config import read_config
from .guard import Guard
from .hooks import audit
from .http_summary import HttpSummary
from .envelope import Identity
from .redact import set_redacted_names
from .reporter import Reporter
from .request_report import RequestReport
from .summary_timer import SummaryTimer
from .warn import internal_error, internal_error_count, warn_once

_lock = threading.Lock()
_running = [None]
_fork_hook = [False]


class Bridge(object):
    """The running bridge: `enabled`, `mode()`, `stats()`, `stop()`."""

    def __init__(self, config):
        self.config = config
        self.enabled = True
        self.identity = Identity(config.service, {'name': 'python', 'version': platform.python_version()},
                                 os.getpid(), socket.gethostname()[:256] or None)
        self.reporter = Reporter(config, self.identity)
        self.summary = HttpSummary()
        self.request_report = RequestReport(self.identity, self.report, self.summary, config.http_events)
        self.timer = SummaryTimer(config.summary_interval_ms, self.request_report.flush)
        self.guard = Guard(self.identity, self.report, self.mode)

    def report(self, event):
        self.reporter.enqueue(event)

    def mode(self):
        return self.reporter.mode

    def stats(self):
        out = self.reporter.stats()
        out['internal_errors'] = internal_error_count()
        return out

    def begin(self):
        set_redacted_names(self.config.redact)
        audit.install(self.guard)
        atexit.register(self._at_exit)
        self.reporter.start()

    def stop(self):
        try:
            audit.detach()
            self.timer.stop()
            atexit.unregister(self._at_exit)
            self.request_report.flush()
            self.reporter.stop()
        except Exception as err:
            internal_error('stop', err)
        with _lock:
            if _running[0] is self:
                _running[0] = None

    def _at_exit(self):
        try:
            self.request_report.flush()
            self.reporter.flush_on_exit()
        except Exception as err:
            internal_error('the exit flush', err)

    def after_fork_in_child(self):
        self.reporter.after_fork_in_child()
        self.summary.__init__()
        self.timer.after_fork_in_child()


class _Inactive(object):
    enabled = False
    config = None

    def __init__(self, mode):
        self._mode = mode

    def mode(self):
        return self._mode

    def stats(self):
        return {'queued': 0, 'inflight': 0, 'sent': 0, 'acked': 0, 'rejected': 0, 'dropped': 0, 'reconnects': 0,
                'connected': False, 'internal_errors': internal_error_count()}

    def stop(self):
        with _lock:
            if _running[0] is self:
                _running[0] = None


def start(**options):
    """Starts the bridge once per process (later calls return the running one); never raises."""
    with _lock:
        if _running[0] is not None:
            return _running[0]
        try:
            config, problems = read_config(options)
            if problems:
                warn_once('SW_ERR_CONFIG', '; '.join(problems))
            if config.disabled:
                bridge = _Inactive(config.mode)
            else:
                bridge = Bridge(config)
                bridge.begin()
                if not _fork_hook[0]:
                    os.register_at_fork(after_in_child=_after_fork_in_child)
                    _fork_hook[0] = True
        except Exception as err:
            internal_error('start', err)
            bridge = _Inactive('monitor')
        _running[0] = bridge
        return bridge


def running():
    return _running[0]


def active_request_report():
    """The request reporting of the running bridge (None when off): the middleware's entry point."""
    bridge = _running[0]
    if bridge is None or not bridge.enabled:
        return None
    if not bridge.timer.running:
        bridge.timer.ensure_running()
    return bridge.request_report


def _after_fork_in_child():
    global _lock
    _lock = threading.Lock()
    bridge = _running[0]
    if bridge is not None and bridge.enabled:
        try:
            bridge.after_fork_in_child()
        except Exception as err:
            internal_error('resetting after fork', err)
