"""Sends the http.summary window every `interval_ms` from a daemon thread, started at the first
request (and again in a forked child, whose threads did not survive the fork)."""
import os
import threading

from .thread_role import mark_bridge_thread
from .warn import internal_error


class SummaryTimer(object):
    def __init__(self, interval_ms, flush):
        self.interval = interval_ms / 1000.0
        self.flush = flush
        self._stop = threading.Event()
        self._pid = None

    def ensure_running(self):
        if self._pid == os.getpid() or self._stop.is_set():
            return
        self._pid = os.getpid()
        threading.Thread(target=self._run, name='sidewatch-summary', daemon=True).start()

    def _run(self):
        mark_bridge_thread()
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception as err:
                internal_error('reporting the http summary', err)

    def stop(self):
        self._stop.set()
