"""Reconnect delays: exponential from `min_ms`, doubling per failed attempt up to `max_ms`, with
"equal jitter" (a delay drawn from [d/2, d]) so many clients whose agent restarts do not all come
back in the same millisecond."""
import math
import random


class Backoff(object):
    def __init__(self, min_ms, max_ms, rand=None):
        self.min_ms = max(1, min_ms)
        self.max_ms = max(self.min_ms, max_ms)
        self.attempt = 0
        self._random = rand or random.random

    def next(self):
        """The delay in ms before the next attempt; each call counts one more failed attempt."""
        ceiling = min(self.max_ms, self.min_ms * 2 ** min(self.attempt, 30))
        self.attempt += 1
        return int(round(ceiling / 2.0 + self._random() * (ceiling / 2.0)))

    def to_cap(self):
        """Jump to the cap: the agent refused us and trying fast would not help."""
        self.attempt = max(self.attempt, int(math.ceil(math.log2(self.max_ms / float(self.min_ms)))))

    def reset(self):
        self.attempt = 0
