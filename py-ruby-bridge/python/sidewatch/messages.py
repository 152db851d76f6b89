"""The shapes of the wire messages (packages/proto/src/schema/messages.ts) and the protocol
version check, as schemas for schema_check."""
import re

from .errors import ProtocolError
from .schema_check import first_error

PROTOCOL_VERSION = '1.0'
SUPPORTED_MAJORS = (1,)
MAX_SAFE_INTEGER = 9007199254740991


def _str(max_length=256):
    return {'type': 'string', 'maxLength': max_length}


_NAME_VERSION = {'type': 'object', 'required': ['name', 'version'], 'properties': {
    'name': {'type': 'string', 'minLength': 1, 'maxLength': 64}, 'version': _str(64)}}
_SEQ = {'type': 'integer', 'minimum': 0, 'maximum': MAX_SAFE_INTEGER}


def _message(kind, required, properties):
    props = {'type': {'type': 'string', 'const': kind}}
    props.update(properties)
    return {'type': 'object', 'required': ['type'] + required, 'properties': props}


MESSAGE_SCHEMAS = {
    'hello': _message('hello', ['version', 'runtime', 'sdk', 'service', 'pid'], {
        'version': _str(16), 'token': _str(1024), 'runtime': _NAME_VERSION, 'sdk': _NAME_VERSION,
        'service': {'type': 'string', 'minLength': 1, 'maxLength': 256}, 'pid': {'type': 'integer', 'minimum': 0},
        'host': _str(), 'container': _str(), 'dropped': {'type': 'integer', 'minimum': 0}}),
    'welcome': _message('welcome', ['version', 'agent_version', 'session_id', 'config'], {
        'version': _str(16), 'agent_version': _str(64), 'session_id': _str(128),
        'config': {'type': 'object', 'required': ['mode'], 'properties': {
            'mode': {'anyOf': [{'type': 'string', 'const': 'monitor'}, {'type': 'string', 'const': 'block'}]}}}}),
    'error': _message('error', ['code', 'message'], {
        'code': {'type': 'string', 'pattern': '^SW_ERR_[A-Z0-9_]+$', 'maxLength': 64}, 'message': _str(4096),
        'field': _str(1024), 'seq': _SEQ}),
    'events': _message('events', ['seq', 'events'], {'seq': _SEQ, 'events': {'type': 'array'}}),
    'ack': _message('ack', ['seq', 'accepted', 'rejected'], {
        'seq': _SEQ, 'accepted': {'type': 'integer', 'minimum': 0}, 'rejected': {'type': 'integer', 'minimum': 0}}),
    'ping': _message('ping', [], {'id': _SEQ}),
    'pong': _message('pong', [], {'id': _SEQ}),
}

_VERSION = re.compile(r'(\d{1,4})\.(\d{1,4})', re.ASCII)


def check_version(version):
    m = _VERSION.fullmatch(version)
    if m is None or int(m.group(1)) not in SUPPORTED_MAJORS:
        raise ProtocolError('SW_ERR_UNSUPPORTED_VERSION', 'protocol version %s is not supported; this side speaks %s' % (
            version, ', '.join('%d.x' % m for m in SUPPORTED_MAJORS)), '/version')


def check_message(message):
    """Checks a decoded message's shape (hello: its version too). Events inside an `events`
    message are checked one by one with event_validator.validate_event."""
    if message.get('type') == 'hello' and isinstance(message.get('version'), str):
        check_version(message['version'])
    err = first_error(MESSAGE_SCHEMAS[message['type']], message)
    if err is not None:
        field, what = err
        raise ProtocolError('SW_ERR_INVALID_MESSAGE', '%s message: %s: %s' % (message['type'], field or '/', what), field)
