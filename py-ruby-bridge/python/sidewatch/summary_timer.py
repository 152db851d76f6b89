"""Sends the http.summary window every `interval_ms` from a daemon thread, started at the first
request (and again in a forked child, whose threads did not survive the fork)."""
import threading

from .thread_role import mark_bridge_thread
from .warn import internal_error


class SummaryTimer(object):
    def __init__(self, interval_ms, flush):
        self.interval = interval_ms / 1000.0
        self.flush = flush
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.running = False    # read on every request: True once this process has the thread

    def ensure_running(self):
        with self._lock:
            if self.running or self._stop.is_set():
                return
            self.running = True
        threading.Thread(target=self._run, name='sidewatch-summary', daemon=True).start()

    def after_fork_in_child(self):
        """The parent's thread did not survive the fork: the child's first request starts its own."""
        self._lock = threading.Lock()
        self.running = False

    def _run(self):
        mark_bridge_thread()
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception as err:
                internal_error('reporting the http summary', err)

    def stop(self):
        self._stop.set()
