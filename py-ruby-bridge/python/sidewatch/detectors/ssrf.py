"""Server-side request forgery: a request input chose where an outbound request goes.

An input controls the host when it occurs over the host of the URL as written, or when it names
that host once normalised the way a WHATWG URL parser normalises it (`http://2852039166/` is
`http://169.254.169.254/`). What then fires:
- the destination is internal (loopback, link-local, private, metadata, unspecified) and the
  input chose the host or changed its structure (added a `.`, `:`, `@`);
- the destination is public and the input, not a header, chose the whole host or its domain.
An input filling one label or octet of a host the app wrote (`http://10.0.0.{}/`) only picks
among the destinations the app already addresses, and does not fire."""
from .decoded_values import input_values
from .finding import Finding
from .ip_address import classify_destination, format_ipv4, parse_ipv4
from . import whatwg_host

_HOST_CHARS = frozenset('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_')
_PLAIN_HOST = frozenset('abcdefghijklmnopqrstuvwxyz0123456789.-_')


class _Target(object):
    __slots__ = ('hostname', 'start', 'end')

    def __init__(self, hostname, start, end):
        self.hostname = hostname
        self.start = start
        self.end = end


def detect_ssrf(url, inputs):
    target = None
    parsed = False
    for input in inputs:
        for value in input_values(input):
            # The fast path: the input neither occurs in the URL nor could be a host spelled differently.
            if not value or (value not in url and not _may_name_host(value)):
                continue
            if not parsed:
                target = _parse_target(url)
                parsed = True
            if target is None:
                return None
            control = _host_control(target, url, value)
            if control is None:
                continue
            destination = classify_destination(target.hostname)
            if destination != 'public':
                return Finding('ssrf', input, url, 'input %s the host of a request to %s %s address (%s)' % (
                    'chooses' if control == 'whole' else 'rewrites', 'an' if destination == 'unspecified' else 'a',
                    destination, target.hostname))
            # A Host, Origin or Referer header naming a public host is the app's own name more
            # often than an attacker's choice. Headers count for internal hosts only.
            if control == 'whole' and input.source != 'headers':
                return Finding('ssrf', input, url, 'input chooses the destination host (%s)' % target.hostname)
    return None


def _parse_target(url):
    start, end = _host_span(url)
    raw = url[start:end].lower() if start != -1 else ''
    if start != -1 and raw != '' and all(c in _PLAIN_HOST for c in raw):
        ip = parse_ipv4(raw)
        return _Target(raw if ip is None else format_ipv4(ip), start, end)
    host = whatwg_host.hostname(url)
    return None if not host else _Target(host, start, end)


def _host_span(url):
    """The host as written: after `//` and any `user:pass@`, before the port, path, query or fragment."""
    slashes = url.find('//')
    if slashes < 1 or url[slashes - 1] != ':':
        return -1, -1
    end = slashes + 2
    while end < len(url) and url[end] not in '/?#\\':
        end += 1
    at = url.rfind('@', 0, end)
    start = at + 1 if at > slashes else slashes + 2
    if start < len(url) and url[start] == '[':
        close = url.find(']', start)
        return start, (end if close == -1 or close > end else close + 1)
    colon = url.find(':', start)
    return start, (end if colon == -1 or colon > end else colon)


def _host_control(target, url, value):
    """How the input's occurrences in the URL text touch its host; an input also occurring outside
    the host may just be echoed by the app, and then nothing is claimed."""
    start, end = target.start, target.end
    if start == -1 or value not in url:
        return 'whole' if _same_host(target.hostname, value) else None
    control = None
    at = url.find(value)
    while at != -1:
        stop = at + len(value)
        if stop <= start or at >= end:
            return None
        control = _strongest(control, _occurrence_control(url, at, stop, start, end))
        at = url.find(value, at + 1)
    return 'whole' if control == 'suffix' else control


def _occurrence_control(url, at, stop, start, end):
    if at <= start and stop >= end:
        return 'whole'
    injected = url[max(at, start):min(stop, end)]
    before = url[at - 1] if at >= 1 else None
    structural = at < start or ':' in injected or ('.' in injected and before != '.')
    if not structural:
        return None
    return 'suffix' if stop >= end else 'structure'


def _strongest(a, b):
    if a == 'whole' or b == 'whole':
        return 'whole'
    if a == 'suffix' or b == 'suffix':
        return 'suffix'
    return a if a is not None else b


def _may_name_host(value):
    """A URL, or a bare host made of host characters only."""
    if len(value) > 2048:
        return False
    if '://' in value:
        return True
    if len(value) > 255:
        return False
    for c in value:
        if c not in _HOST_CHARS:
            return False
    return True


def _same_host(hostname, value):
    if '://' in value:
        return whatwg_host.hostname(value) == hostname
    bare = _without_port(value.lower())
    if not bare:
        return False
    if bare == hostname or bare == hostname + '.':
        return True
    if bare[0] == '[':
        return whatwg_host.hostname('http://%s/' % bare) == hostname
    ip = parse_ipv4(bare)
    return ip is not None and format_ipv4(ip) == hostname


def _without_port(value):
    colon = value.find(':', max(0, value.find(']')) if value[:1] == '[' else 0)
    if colon == -1:
        return value
    rest = value[colon + 1:]
    if rest and not (rest.isdigit() and rest.isascii()):
        return None
    return value[:colon]
