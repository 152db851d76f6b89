"""Message codec: message <-> frame. Decoding checks bytes, UTF-8, JSON and the `type`
discriminator; the shape check is messages.check_message."""
import json
import zlib

from .errors import ProtocolError
from .frame import DEFAULT_MAX_FRAME_SIZE, encode_frame

MESSAGE_TYPES = ('hello', 'welcome', 'error', 'events', 'ack', 'ping', 'pong')


def canonical_json(message):
    """Compact JSON, keys in the order given, non-ASCII as UTF-8 (not \\u escapes)."""
    return json.dumps(message, separators=(',', ':'), ensure_ascii=False, allow_nan=False)


def encode_message(message, compress=False):
    return encode_frame(canonical_json(message).encode('utf-8'), compress)


def _reject_constant(name):
    raise ValueError('%s is not JSON' % name)


def decode_frame(frame, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
    """A frame's payload as a message dict with a known `type`. Raises ProtocolError."""
    payload = _gunzip(frame.payload, max_frame_size) if frame.compressed else frame.payload
    if len(payload) == 0:
        raise ProtocolError('SW_ERR_EMPTY_MESSAGE', 'frame payload is empty; expected a JSON object')
    try:
        text = payload.decode('utf-8')
    except UnicodeDecodeError:
        raise ProtocolError('SW_ERR_INVALID_UTF8', 'payload of %d bytes is not valid UTF-8' % len(payload))
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        raise ProtocolError('SW_ERR_INVALID_JSON', 'payload is not valid JSON: %s' % err)
    if not isinstance(value, dict):
        raise ProtocolError('SW_ERR_INVALID_MESSAGE', 'message must be a JSON object', '')
    kind = value.get('type')
    if not isinstance(kind, str) or kind not in MESSAGE_TYPES:
        got = json.dumps(kind[:64]) if isinstance(kind, str) else 'none'
        raise ProtocolError('SW_ERR_UNKNOWN_MESSAGE_TYPE', 'message type %s is not one of %s' % (
            got, ', '.join(MESSAGE_TYPES)), '/type')
    return value


def _gunzip(data, limit):
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as err:
        raise ProtocolError('SW_ERR_DECOMPRESS', 'gzip payload is corrupt: %s' % err)
    if len(out) > limit or d.unconsumed_tail:
        raise ProtocolError('SW_ERR_FRAME_TOO_LARGE', 'gzip payload inflates past the maximum of %d bytes' % limit)
    if not d.eof:
        raise ProtocolError('SW_ERR_DECOMPRESS', 'gzip payload is corrupt: unexpected end of file')
    return out
