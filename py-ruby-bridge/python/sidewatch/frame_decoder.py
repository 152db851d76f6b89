"""Streaming frame decoder: feed it socket reads of any size, get whole frames out, in order.
It checks the declared length against the maximum as soon as the 5-byte header is in, so an
oversized frame is rejected before any of its payload is buffered. After a framing error the
stream is unusable and `push` keeps raising the same error."""
from .errors import ProtocolError
from .frame import DEFAULT_MAX_FRAME_SIZE, FLAG_GZIP, HEADER_SIZE, KNOWN_FLAGS, read_header


class Frame(object):
    __slots__ = ('compressed', 'payload')

    def __init__(self, compressed, payload):
        self.compressed = compressed
        self.payload = payload


class FrameDecoder(object):
    def __init__(self, max_frame_size=None):
        self.max_frame_size = DEFAULT_MAX_FRAME_SIZE if max_frame_size is None else max_frame_size
        self._buf = bytearray()
        self._failed = None

    @property
    def buffered_bytes(self):
        return len(self._buf)

    def push(self, chunk):
        """Adds a chunk; returns the frames it completed. A framing error is raised after the
        frames before it were returned through `frames_before_error` on the error."""
        if self._failed is not None:
            raise self._failed
        buf = self._buf
        buf += chunk
        frames = []
        offset = 0
        try:
            while len(buf) - offset >= HEADER_SIZE:
                flags, length = read_header(buf, offset)
                if flags & ~KNOWN_FLAGS:
                    self._fail(ProtocolError('SW_ERR_FRAME_FLAGS',
                                             'frame flags 0x%02x set undefined bits; only bit 0 (gzip) is defined' % flags))
                if length > self.max_frame_size:
                    self._fail(ProtocolError('SW_ERR_FRAME_TOO_LARGE',
                                             'frame declares %d bytes; the maximum is %d' % (length, self.max_frame_size)))
                start = offset + HEADER_SIZE
                if len(buf) - start < length:
                    break
                offset = start + length
                frames.append(Frame((flags & FLAG_GZIP) != 0, bytes(buf[start:offset])))
        except ProtocolError as err:
            err.frames_before_error = frames
            raise
        del buf[:offset]
        return frames

    def end(self):
        """At end of stream: raises SW_ERR_FRAME_TRUNCATED when it ended inside a frame."""
        if self._failed is not None:
            raise self._failed
        if self._buf:
            self._fail(ProtocolError('SW_ERR_FRAME_TRUNCATED',
                                     'stream ended with %d bytes of an unfinished frame' % len(self._buf)))

    def _fail(self, err):
        self._failed = err
        self._buf = bytearray()
        raise err
