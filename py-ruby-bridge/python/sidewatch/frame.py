"""Frames: [flags:u8][length:u32 big-endian][payload]; flag bit 0 says the payload is gzipped."""
import gzip
import struct

from .errors import ProtocolError

HEADER_SIZE = 5
FLAG_GZIP = 0x01
KNOWN_FLAGS = FLAG_GZIP
DEFAULT_MAX_FRAME_SIZE = 1024 * 1024
_HEADER = struct.Struct('>BI')


def encode_frame(payload, compress=False, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
    """One frame around `payload` (bytes); raises ProtocolError when it is over the maximum."""
    body = gzip.compress(payload) if compress else payload
    if len(body) > max_frame_size or len(payload) > max_frame_size:
        raise ProtocolError('SW_ERR_FRAME_TOO_LARGE', 'payload of %d bytes is over the maximum of %d' % (
            len(payload), max_frame_size))
    return _HEADER.pack(FLAG_GZIP if compress else 0, len(body)) + body


def read_header(buf, offset):
    """(flags, length) of the header at `offset`."""
    return _HEADER.unpack_from(buf, offset)
