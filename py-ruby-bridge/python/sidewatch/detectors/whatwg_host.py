"""The host name a WHATWG URL parser (what `new URL(url).hostname` gives, and so what node-asm's
SSRF decisions are defined by) reads from a URL: backslashes count as slashes in special schemes,
the host is percent-decoded, lower-cased and IDNA-encoded, IPv4 literals in any WHATWG form are
rewritten dotted, IPv6 literals compressed in brackets. None when the parser would reject the URL."""
import ipaddress
import re
from urllib.parse import unquote_to_bytes

from .ip_address import format_ipv4, parse_ipv4

_SPECIAL = frozenset(['http', 'https', 'ws', 'wss', 'ftp', 'file'])
_SCHEME = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*):')
_FORBIDDEN = frozenset('\x00\t\n\r #/:<>?@[\\]^|%\x7f')
_STRIP = ''.join(chr(c) for c in range(0x21))


def hostname(url):
    text = url.strip(_STRIP).replace('\t', '').replace('\n', '').replace('\r', '')
    m = _SCHEME.match(text)
    if m is None:
        return None
    scheme = m.group(1).lower()
    rest = text[m.end():]
    special = scheme in _SPECIAL
    if special:
        rest = rest.replace('\\', '/')
        if scheme != 'file':
            rest = rest.lstrip('/')
        elif rest.startswith('//'):
            rest = rest[2:]
        else:
            return ''
    elif rest.startswith('//'):
        rest = rest[2:]
    else:
        return ''
    end = len(rest)
    for stop in '/?#':
        at = rest.find(stop)
        if at != -1 and at < end:
            end = at
    authority = rest[:end]
    at = authority.rfind('@')
    hostport = authority[at + 1:] if at != -1 else authority
    if hostport.startswith('['):
        close = hostport.find(']')
        if close == -1:
            return None
        host, after = hostport[:close + 1], hostport[close + 1:]
    else:
        colon = hostport.find(':')
        host, after = (hostport, '') if colon == -1 else (hostport[:colon], hostport[colon:])
    if after and not (after.startswith(':') and after[1:].isdigit() or after == ':'):
        return None
    if not special:
        return host
    return _special_host(host, scheme)


def _special_host(host, scheme):
    if host == '':
        return '' if scheme == 'file' else None
    if host.startswith('['):
        try:
            return '[%s]' % ipaddress.IPv6Address(host[1:-1]).compressed
        except ValueError:
            return None
    try:
        decoded = unquote_to_bytes(host).decode('utf-8')
    except UnicodeError:
        return None
    try:
        ascii_host = decoded.lower() if decoded.isascii() else decoded.encode('idna').decode('ascii').lower()
    except UnicodeError:
        return None
    if any(c in _FORBIDDEN or ord(c) < 0x20 for c in ascii_host):
        return None
    if _ends_in_number(ascii_host):
        ip = parse_ipv4(ascii_host)
        return None if ip is None else format_ipv4(ip)
    return ascii_host


def _ends_in_number(host):
    labels = host.split('.')
    if labels[-1] == '' and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last != '' and last.isdigit() and last.isascii():
        return True
    return len(last) >= 2 and last[:2] == '0x' and all(c in '0123456789abcdef' for c in last[2:])
