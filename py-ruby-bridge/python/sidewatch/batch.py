"""Cutting the queue into `events` messages of at most `max_events` events and `max_bytes` bytes
of JSON. Events are serialised here, on the reporter thread, once each."""
from .codec import canonical_json
from .frame import DEFAULT_MAX_FRAME_SIZE, encode_frame

# Room for the {"type":"events","seq":N,"events":[...]} wrapper in one frame.
MAX_EVENT_BYTES = DEFAULT_MAX_FRAME_SIZE - 1024


class BatchCutter(object):
    def __init__(self, max_events, max_bytes):
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._carry = None  # (event, json bytes) of the head that did not fit

    def take(self, queue, on_too_large):
        """(events, [json bytes]) off the front of `queue`, or None when it is empty. An event too
        large for any frame is taken off and counted through `on_too_large`."""
        events, texts, size = [], [], 0
        while len(events) < self.max_events:
            event = queue.peek()
            if event is None:
                break
            carry, self._carry = self._carry, None
            text = carry[1] if carry is not None and carry[0] is event else canonical_json(event).encode('utf-8')
            if len(text) > MAX_EVENT_BYTES:
                queue.shift()
                on_too_large()
                continue
            if events and size + len(text) + 1 > self.max_bytes:
                self._carry = (event, text)
                break
            queue.shift()
            events.append(event)
            texts.append(text)
            size += len(text) + 1
        return (events, texts) if events else None


def events_frame(seq, texts):
    """The frame of one `events` message, built from already serialised events."""
    return encode_frame(b'{"type":"events","seq":%d,"events":[' % seq + b','.join(texts) + b']}')
