"""Redaction, applied to whatever leaves the process: secret-bearing headers, and any parameter,
field or query key whose name looks like a credential, get the value `[redacted]` (the rules of
node-asm's redact.ts)."""
import re
from urllib.parse import unquote_plus

REDACTED = '[redacted]'
SENSITIVE_HEADERS = frozenset(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token'])
SENSITIVE_NAME = re.compile(r'pass(word)?|token|secret|api[-_]?key|auth|credential|session|private[-_]?key', re.I)
_USERINFO = re.compile(r'^[a-z][a-z0-9+.-]*://([^/?#@]*)@', re.I)
_extra = [frozenset()]


def set_redacted_names(names):
    _extra[0] = frozenset(n.lower() for n in names)


def is_sensitive_name(name):
    lower = name.lower()
    if lower in SENSITIVE_HEADERS or SENSITIVE_NAME.search(name) is not None:
        return True
    extra = _extra[0]
    if not extra:
        return False
    return lower in extra or any(segment in extra for segment in lower.split('.'))


def redact_value(name, value):
    return REDACTED if is_sensitive_name(name) else value


def redact_url(url):
    """The URL with sensitive query values and a userinfo password replaced."""
    out = url
    m = _USERINFO.match(out)
    if m is not None and ':' in m.group(1):
        user = m.group(1)[:m.group(1).index(':')]
        out = out.replace(m.group(1) + '@', '%s:%s@' % (user, REDACTED), 1)
    q = out.find('?')
    if q == -1:
        return out
    h = out.find('#', q)
    query = out[q + 1:] if h == -1 else out[q + 1:h]
    pairs = []
    for pair in query.split('&'):
        eq = pair.find('=')
        key = pair if eq == -1 else pair[:eq]
        pairs.append('%s=%s' % (key, REDACTED) if is_sensitive_name(unquote_plus(key)) else pair)
    return out[:q + 1] + '&'.join(pairs) + ('' if h == -1 else out[h:])
