"""A FIFO with a hard capacity that drops the OLDEST items when full and counts every drop.
Safe to push from any thread; one consumer (the reporter thread) takes from the front."""
import collections
import threading


class BoundedQueue(object):
    def __init__(self, capacity):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError('queue capacity must be a positive integer, got %r' % (capacity,))
        self.capacity = capacity
        self._items = collections.deque()
        self._lock = threading.Lock()
        self.dropped = 0

    def __len__(self):
        return len(self._items)

    def push(self, item):
        """Appends; when full, first drops the oldest. Returns how many were dropped (0 or 1)."""
        with self._lock:
            dropped = 0
            if len(self._items) >= self.capacity:
                self._items.popleft()
                self.dropped += 1
                dropped = 1
            self._items.append(item)
            return dropped

    def peek(self):
        items = self._items
        return items[0] if items else None

    def shift(self):
        with self._lock:
            return self._items.popleft() if self._items else None

    def unshift_many(self, items):
        """Puts `items` (older than everything queued) back at the front, in order. What does
        not fit is dropped from the front, oldest first. Returns how many were dropped."""
        with self._lock:
            room = self.capacity - len(self._items)
            drop = max(0, len(items) - room)
            self.dropped += drop
            self._items.extendleft(reversed(items[drop:]))
            return drop

    def clear(self):
        with self._lock:
            self._items.clear()

    def reset_after_fork(self):
        """In a forked child: a fresh lock (the parent's may have been held) and no items (they
        are the parent's to deliver)."""
        self._lock = threading.Lock()
        self._items = collections.deque()
