"""Every error code of the bridge, in one place. The SDK codes mean what they mean in node-asm
(packages/node-asm/src/errors.ts); the wire codes are the protocol's (docs/protocol.md).

None of the SDK errors is ever raised into the application: the bridge catches its own failures,
counts them and prints at most one line per code (warn.py). The one exception the application can
see is `Blocked`, raised in place of a call that block mode stopped."""

SDK_ERROR_CODES = {
    'SW_ERR_CONFIG': 'an environment variable or start() option is invalid; the default is used instead',
    'SW_ERR_AGENT_UNREACHABLE': 'the agent could not be reached; events are queued and the bridge keeps retrying',
    'SW_ERR_AGENT_REJECTED': 'the agent refused the handshake (wrong token, unsupported protocol version, ...)',
    'SW_ERR_AGENT_PROTOCOL': 'the agent sent bytes that are not valid sidewatch frames; the connection is dropped',
    'SW_ERR_INTERNAL': 'a bridge hook or callback failed; the application call went through unchanged',
    'SW_ERR_BLOCKED': 'block mode stopped a call that request input had turned into an attack',
}

# Wire error codes, and whether the connection is closed after them.
PROTOCOL_ERROR_CODES = {
    'SW_ERR_FRAME_TOO_LARGE': True,
    'SW_ERR_FRAME_FLAGS': True,
    'SW_ERR_FRAME_TRUNCATED': True,
    'SW_ERR_UNSUPPORTED_VERSION': True,
    'SW_ERR_AUTH': True,
    'SW_ERR_HANDSHAKE_REQUIRED': True,
    'SW_ERR_HANDSHAKE_TIMEOUT': True,
    'SW_ERR_TOO_MANY_CONNECTIONS': True,
    'SW_ERR_STORE_UNAVAILABLE': True,
    'SW_ERR_EMPTY_MESSAGE': False,
    'SW_ERR_DECOMPRESS': False,
    'SW_ERR_INVALID_UTF8': False,
    'SW_ERR_INVALID_JSON': False,
    'SW_ERR_UNKNOWN_MESSAGE_TYPE': False,
    'SW_ERR_INVALID_MESSAGE': False,
    'SW_ERR_INVALID_EVENT': False,
    'SW_ERR_BATCH_TOO_LARGE': False,
}


class ProtocolError(Exception):
    """Bytes or a message that break the wire protocol. `field` is a JSON Pointer into the
    offending message (None when the error is about the bytes); `fatal` errors close the stream."""

    def __init__(self, code, message, field=None):
        Exception.__init__(self, '%s: %s' % (code, message))
        self.code = code
        self.field = field
        self.fatal = PROTOCOL_ERROR_CODES.get(code, True)


class Blocked(PermissionError):
    """Raised in place of a call that block mode stopped: request input made it an attack. A
    PermissionError, so code that already handles "not allowed" handles it; the WSGI and ASGI
    middleware answer the request 403."""

    code = 'SW_ERR_BLOCKED'

    def __init__(self, attack_class, sink):
        PermissionError.__init__(self, 'sidewatch blocked %s: request input made it a %s' % (
            sink, attack_class.replace('_', ' ')))
        self.attack_class = attack_class
        self.sink = sink
