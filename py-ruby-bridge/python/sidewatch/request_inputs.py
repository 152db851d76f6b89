"""The inputs every request has before any framework looks at it: the raw path, the query string,
the attacker-relevant headers and the cookies; and the bodies a Python framework would parse
(application/x-www-form-urlencoded and JSON). Names as node-asm gives them (request-inputs.ts)."""
import json
from urllib.parse import parse_qsl, unquote

from .redact import SENSITIVE_HEADERS

# Headers taken as inputs besides any `x-*` one. Authorization and Cookie never are (cookies are, parsed).
INPUT_HEADERS = frozenset(['user-agent', 'referer', 'x-forwarded-for'])
MAX_BODY = 1024 * 1024


def add_url_inputs(ctx, path, query):
    if path and path != '/':
        ctx.add_inputs('path', path, 'path')
    if query:
        ctx.add_pairs('query', query_pairs(query))


def query_pairs(query):
    """parse_qsl(query, keep_blank_values=True); by hand when there is nothing to decode and no `;`
    (which Python before 3.9.2 also splits on)."""
    if '%' in query or '+' in query or ';' in query:
        return parse_qsl(query, keep_blank_values=True)
    pairs = []
    for part in query.split('&'):
        if part:
            name, _, value = part.partition('=')
            pairs.append((name, value))
    return pairs


def add_header_inputs(ctx, headers):
    """`headers`: (lower-case name, value) pairs."""
    cookie = None
    for name, value in headers:
        if name == 'cookie':
            cookie = value if cookie is None else cookie + '; ' + value
            continue
        if name in INPUT_HEADERS or (name.startswith('x-') and name not in SENSITIVE_HEADERS):
            ctx.add_inputs('headers', value, 'headers.%s' % name)
    if cookie is not None:
        ctx.add_inputs('cookies', parse_cookies(cookie))


def parse_cookies(header):
    """`a=1; b="two"` -> {a: '1', b: 'two'}; values percent-decoded; the first of a name wins."""
    cookies = {}
    for count, part in enumerate(header.split(';')):
        if count >= 256:
            break
        eq = part.find('=')
        if eq == -1:
            continue
        name = part[:eq].strip()
        if name == '' or name in cookies:
            continue
        value = part[eq + 1:].strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        cookies[name] = unquote(value, errors='strict') if '%' in value and _decodes(value) else value
    return cookies


def _decodes(value):
    try:
        unquote(value, errors='strict')
        return True
    except UnicodeDecodeError:
        return False


def add_body_inputs(ctx, content_type, body):
    """Form and JSON bodies, as the frameworks hand them to the app."""
    if not body:
        return
    kind = (content_type or '').split(';', 1)[0].strip().lower()
    if kind == 'application/x-www-form-urlencoded':
        ctx.add_pairs('body', parse_qsl(body.decode('utf-8', 'replace'), keep_blank_values=True))
    elif kind == 'application/json' or kind.endswith('+json'):
        try:
            ctx.add_inputs('body', json.loads(body.decode('utf-8')))
        except ValueError:
            pass  # the app will reject it too


def wants_body(content_type):
    kind = (content_type or '').split(';', 1)[0].strip().lower()
    return kind == 'application/x-www-form-urlencoded' or kind == 'application/json' or kind.endswith('+json')
