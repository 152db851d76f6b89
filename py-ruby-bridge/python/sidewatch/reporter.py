"""The reporter: a bounded queue of events, sent in batches by one background thread over one
connection to the agent, kept until acknowledged (at least once: event ids let the agent drop
duplicates). It behaves as node-asm's reporter (packages/node-asm/src/reporter/reporter.ts):

    idle --connect--> handshaking --welcome--> ready --close/error--> backoff --> idle
                                                      (100 ms doubling to 10 s, equal jitter)

- The application's side is `enqueue`: a locked deque append, and one byte on a socketpair to
  wake the thread when the queue was empty or a batch is full. Serialising and I/O happen on the
  thread, never in the application's call.
- A batch goes out when `batch_events` events are queued or `flush_interval_ms` after its first
  event, cut at `batch_bytes`; at most `max_inflight_batches` wait for their ack.
- On a lost connection the unacknowledged batches go back to the front of the queue (the oldest
  dropped if that overflows) and are resent after the next handshake.
- Drops are counted exactly. After a handshake with drops outstanding, the hello carries
  `dropped: N` and an `agent.stats` event with `dropped_events: N` goes first; N is forgotten only
  when that event is acknowledged.
- The thread is a daemon: it never keeps the process alive. At exit, `flush_on_exit` waits at
  most `flush_timeout_ms` for what is queued to be delivered (one connection attempt if down).
- A refused handshake (SW_ERR_AUTH, SW_ERR_UNSUPPORTED_VERSION) prints one line and retries at
  the capped backoff, so fixing the agent brings events back without restarting the app.
- After os.fork() the child starts empty with its own thread (at the first event), never
  writing on the parent's socket."""
import collections
import os
import select
import socket
import threading
import time

from .backoff import Backoff
from .batch import BatchCutter, events_frame
from .bounded_queue import BoundedQueue
from .codec import canonical_json, encode_message
from .connection import Connection
from .errors import ProtocolError
from .events import stats_event
from .messages import PROTOCOL_VERSION, check_message
from .thread_role import mark_bridge_thread
from .version import SDK_NAME, VERSION
from .warn import internal_error, warn_once

# Consecutive failed attempts before "agent unreachable" is worth a line on stderr.
UNREACHABLE_WARN_AFTER = 5


class Reporter(object):
    def __init__(self, config, identity):
        self.config = config
        self.identity = identity
        self.mode = config.mode
        self._queue = BoundedQueue(config.queue_size)
        self._cutter = BatchCutter(config.batch_events, config.batch_bytes)
        self._backoff = Backoff(config.reconnect_min_ms, config.reconnect_max_ms)
        self._start_lock = threading.Lock()
        self._fresh_state()

    def _fresh_state(self):
        self._inflight = collections.OrderedDict()  # seq -> (events, drops it reports or None)
        self._seq = 0
        self._too_large = 0
        self._reported_drops = 0
        self._stats_inflight = False
        self._counters = {'sent': 0, 'acked': 0, 'rejected': 0, 'reconnects': 0}
        self._conn = None
        self._ready = False
        self._thread = None
        self._stopped = False
        self._first_at = None
        self._failures = 0
        self._exit_deadline = None
        self._exit_done = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._pid = os.getpid()

    # -- the application's side ---------------------------------------------------------------

    def enqueue(self, event):
        """Queues an event; never raises, never waits on the network."""
        if self._stopped:
            return
        queue = self._queue
        queue.push(event)
        n = len(queue)
        if self._thread is None:
            self.start()
        if n == 1 or n == self.config.batch_events:
            self._wake()

    def start(self):
        with self._start_lock:
            if self._thread is not None or self._stopped:
                return
            thread = threading.Thread(target=self._run, name='sidewatch-reporter', daemon=True)
            self._thread = thread
            thread.start()

    def stats(self):
        inflight = sum(len(events) for events, drops in self._inflight.values() if drops is None)
        out = dict(self._counters)
        out.update(queued=len(self._queue), inflight=inflight, dropped=self._dropped_total(),
                   connected=self._ready)
        return out

    def flush_on_exit(self):
        """At interpreter exit: wait at most flush_timeout_ms for queued events to be delivered."""
        timeout = self.config.flush_timeout_ms / 1000.0
        if self._stopped or timeout <= 0 or (len(self._queue) == 0 and not self._inflight):
            return
        self._exit_done.clear()
        self._exit_deadline = time.monotonic() + timeout
        if self._thread is None:
            self.start()
        self._wake()
        self._exit_done.wait(timeout)

    def stop(self):
        """Stops for good: writes what is queued if connected, closes the socket, ends the thread."""
        if self._stopped:
            return
        self._stopped = True
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    def after_fork_in_child(self):
        """The child of os.fork(): the parent's queue, socket and thread are not ours."""
        for sock in (self._wake_r, self._wake_w):
            sock.close()
        if self._conn is not None:
            self._conn.close()
        self._queue.reset_after_fork()
        self._start_lock = threading.Lock()
        self._fresh_state()
        self.identity.pid = self._pid

    # -- the reporter thread --------------------------------------------------------------------

    def _wake(self):
        try:
            self._wake_w.send(b'\0')
        except (BlockingIOError, OSError):
            pass  # already awake (buffer full) or closed

    def _run(self):
        mark_bridge_thread()
        while True:
            try:
                if self._stopped:
                    self._finish()
                    return
                if self._conn is None:
                    if not self._connect():
                        self._sleep(self._backoff.next() / 1000.0)
                        continue
                self._serve()
            except Exception as err:  # never let the thread die on a bug: count it and go on
                internal_error('the reporter thread', err)
                self._close(err)
                self._sleep(self._backoff.next() / 1000.0)

    def _sleep(self, seconds):
        """Backoff wait, cut short by stop() or an exit flush."""
        if self._exit_deadline is not None or self._stopped:
            return
        try:
            select.select([self._wake_r], [], [], seconds)
            self._drain_wake()
        except (OSError, ValueError):
            time.sleep(seconds)

    def _drain_wake(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _connect(self):
        config = self.config
        refused = False
        try:
            conn = Connection(config.agent, config.handshake_timeout_ms / 1000.0)
        except OSError as err:
            return self._connect_failed(err, False)
        self._conn = conn
        try:
            conn.send(encode_message(self._hello()))
            deadline = time.monotonic() + config.handshake_timeout_ms / 1000.0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout('no welcome within %d ms' % config.handshake_timeout_ms)
                readable, _, _ = select.select([conn.sock], [], [], left)
                if not readable:
                    continue
                for message in conn.receive():
                    check_message(message)
                    if message['type'] == 'welcome':
                        self._on_welcome(message)
                        return True
                    if message['type'] == 'error':
                        refused = True
                        self._backoff.to_cap()
                        warn_once('SW_ERR_AGENT_REJECTED', 'agent at %s refused the handshake (%s: %s); events are not '
                                  'delivered, retrying about every %d s' % (config.agent, message.get('code'),
                                                                           message.get('message'), max(1, round(config.reconnect_max_ms / 1000.0))))
        except (OSError, ProtocolError) as err:
            self._close(err)
            return self._connect_failed(err, refused)

    def _connect_failed(self, err, refused):
        self._counters['reconnects'] += 1
        self._end_exit_flush()  # on the way out, one attempt is all there is
        if isinstance(err, ProtocolError) and err.code not in ('SW_ERR_AUTH', 'SW_ERR_UNSUPPORTED_VERSION'):
            warn_once('SW_ERR_AGENT_PROTOCOL', 'agent at %s sent an invalid frame (%s); reconnecting' % (self.config.agent, err))
        if not refused:
            self._failures += 1
            if self._failures == UNREACHABLE_WARN_AFTER:
                warn_once('SW_ERR_AGENT_UNREACHABLE', 'agent at %s is unreachable (%s); keeping up to %d events and retrying' % (
                    self.config.agent, getattr(err, 'strerror', None) or err, self.config.queue_size))
        return False

    def _hello(self):
        identity = self.identity
        hello = {'type': 'hello', 'version': PROTOCOL_VERSION, 'runtime': identity.runtime,
                 'sdk': {'name': SDK_NAME, 'version': VERSION}, 'service': identity.service, 'pid': identity.pid}
        if self.config.token is not None:
            hello['token'] = self.config.token
        if identity.host is not None:
            hello['host'] = identity.host
        drops = self._unreported_drops()
        if drops > 0:
            hello['dropped'] = drops
        return hello

    def _on_welcome(self, message):
        self._ready = True
        self._failures = 0
        self._backoff.reset()
        mode = message.get('config', {}).get('mode')
        if not self.config.mode_pinned and mode in ('monitor', 'block'):
            self.mode = mode

    def _serve(self):
        """Runs while connected: sends batches, reads acks; returns when the connection is lost."""
        conn = self._conn
        try:
            while not self._stopped:
                self._pump()
                if self._exit_deadline is not None and ((len(self._queue) == 0 and not self._inflight)
                                                        or time.monotonic() >= self._exit_deadline):
                    self._end_exit_flush()
                readable, _, _ = select.select([conn.sock, self._wake_r], [], [], self._timeout())
                if self._wake_r in readable:
                    self._drain_wake()
                if conn.sock in readable:
                    for message in conn.receive():
                        self._on_message(conn, message)
        except (OSError, ProtocolError) as err:
            self._close(err)
            self._counters['reconnects'] += 1
            self._end_exit_flush()
            if isinstance(err, ProtocolError):
                warn_once('SW_ERR_AGENT_PROTOCOL', 'agent at %s sent an invalid frame (%s); reconnecting' % (self.config.agent, err))
            self._sleep(self._backoff.next() / 1000.0)

    def _timeout(self):
        if self._exit_deadline is not None:
            return max(0.0, min(0.05, self._exit_deadline - time.monotonic()))
        if self._first_at is None or len(self._queue) == 0:
            return None
        return max(0.0, self._first_at + self.config.flush_interval_ms / 1000.0 - time.monotonic())

    def _on_message(self, conn, message):
        check_message(message)
        kind = message['type']
        if kind == 'ack':
            self._on_ack(message['seq'], message['rejected'])
        elif kind == 'ping':
            conn.send(encode_message({'type': 'pong'} if 'id' not in message else {'type': 'pong', 'id': message['id']}))
        # `error` about one event of a batch is counted through the batch's ack.

    def _on_ack(self, seq, rejected):
        batch = self._inflight.pop(seq, None)
        if batch is None:
            return
        events, drops = batch
        if drops is not None:
            self._reported_drops += drops
            self._stats_inflight = False
        else:
            self._counters['acked'] += len(events)
            self._counters['rejected'] += rejected

    def _pump(self, everything=False):
        """Sends batches while the window allows: full ones always, a partial one when its first
        event has waited flush_interval_ms or the process is exiting."""
        conn = self._conn
        if conn is None or not self._ready:
            return
        drops = self._unreported_drops()
        if drops > 0 and not self._stats_inflight:
            self._stats_inflight = True
            self._send(conn, [stats_event(self.identity, drops)], drops)
        now = time.monotonic()
        queue = self._queue
        partial = everything or self._exit_deadline is not None or (
            self._first_at is not None and now >= self._first_at + self.config.flush_interval_ms / 1000.0)
        if self._first_at is None and len(queue) > 0:
            self._first_at = now
        while len(queue) > 0 and (everything or len(self._inflight) < self.config.max_inflight_batches):
            if not partial and len(queue) < self.config.batch_events:
                break
            batch = self._cutter.take(queue, self._count_too_large)
            if batch is None:
                break
            self._send(conn, batch[0], None, batch[1])
            self._first_at = now if len(queue) > 0 else None

    def _send(self, conn, events, drops, texts=None):
        if texts is None:
            texts = [canonical_json(e).encode('utf-8') for e in events]
        self._seq += 1
        self._inflight[self._seq] = (events, drops)
        if drops is None:
            self._counters['sent'] += len(events)
        conn.send(events_frame(self._seq, texts))

    def _count_too_large(self):
        self._too_large += 1

    def _dropped_total(self):
        return self._queue.dropped + self._too_large

    def _unreported_drops(self):
        return self._dropped_total() - self._reported_drops

    def _close(self, err=None):
        """Drops the connection; unacknowledged events go back to the front, oldest first. The
        stats batch does not: its drops are still unreported and the next hello counts them."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._ready = False
        back = []
        for events, drops in self._inflight.values():
            if drops is None:
                back.extend(events)
        self._inflight.clear()
        self._stats_inflight = False
        if back:
            self._queue.unshift_many(back)

    def _end_exit_flush(self):
        if self._exit_deadline is not None:
            self._exit_deadline = None
            self._exit_done.set()

    def _finish(self):
        """stop(): write what is queued if connected, then close."""
        try:
            if self._conn is not None and self._ready:
                self._pump(everything=True)
        except (OSError, ProtocolError):
            pass
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._ready = False
        self._end_exit_flush()
        for sock in (self._wake_r, self._wake_w):
            sock.close()
