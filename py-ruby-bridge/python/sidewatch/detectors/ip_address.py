"""Where a host name or IP literal points, without DNS. IPv4 literals are read the way the WHATWG
URL parser reads them (`2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe` and `169.254.43518` are
all 169.254.169.254), and IPv6 literals are expanded so that IPv4-mapped, NAT64 and 6to4 forms are
judged by the IPv4 address they carry.
Destinations: loopback, link-local, private, metadata, public, unspecified."""
import re

# Credential endpoints: EC2 IMDS, ECS task credentials (Fargate), EKS pod identity.
_METADATA_V4 = frozenset([0xa9fea9fe, 0xa9feaa02, 0xa9feaa17])
_HEX_GROUP = re.compile(r'[0-9a-fA-F]{1,4}')
_DECIMAL_OCTET = re.compile(r'[0-9]{1,3}')
_METADATA_NAMES = frozenset(['metadata', 'metadata.google.internal', 'instance-data',
                             'instance-data.ec2.internal', 'metadata.azure.internal'])


def classify_destination(host):
    h = host.lower()
    if h.startswith('[') and h.endswith(']'):
        v6 = parse_ipv6(h[1:-1])
        return 'public' if v6 is None else classify_ipv6(v6)
    # A fully qualified name (`localhost.`) resolves like the name without the dot.
    h = h.rstrip('.')
    if h == '':
        return 'unspecified'
    if h == 'localhost' or h.endswith('.localhost'):
        return 'loopback'
    if h in _METADATA_NAMES:
        return 'metadata'
    v4 = parse_ipv4(h)
    if v4 is not None:
        return classify_ipv4(v4)
    if ':' in h:
        v6 = parse_ipv6(h)
        if v6 is not None:
            return classify_ipv6(v6)
    return 'public'


def classify_ipv4(ip):
    a = ip >> 24
    b = (ip >> 16) & 0xff
    if ip in _METADATA_V4:
        return 'metadata'
    if a == 0:
        return 'unspecified'  # 0.0.0.0/8; Linux connects 0.0.0.0 to loopback
    if a == 127:
        return 'loopback'
    if a == 169 and b == 254:
        return 'link-local'
    if a == 10 or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168):
        return 'private'
    if a == 100 and 64 <= b <= 127:
        return 'private'  # 100.64.0.0/10, carrier-grade NAT
    return 'public'


def parse_ipv4(host):
    """WHATWG "IPv4 parser": one to four dot-separated numbers, each decimal, octal (leading 0)
    or hex (0x); the last fills the remaining bytes. A trailing empty part is allowed.
    The address as an int, or None when the host is not an IPv4 literal."""
    text = host[:-1] if len(host) > 1 and host.endswith('.') else host
    parts = text.split('.')
    if len(parts) > 4:
        return None
    ip = 0
    for i, part in enumerate(parts):
        n = _parse_ipv4_number(part)
        if n is None:
            return None
        if i == len(parts) - 1:
            return None if n >= 256 ** (4 - i) else ip + n
        if n > 255:
            return None
        ip += n * 256 ** (3 - i)
    return None


def format_ipv4(ip):
    return '%d.%d.%d.%d' % (ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255)


def _parse_ipv4_number(part):
    if part == '':
        return None
    radix = 10
    digits = part
    if len(part) >= 2 and part[0] == '0':
        if part[1] in 'xX':
            radix = 16
            digits = part[2:]
        else:
            radix = 8
            digits = part[1:]
    if digits == '':
        return 0
    n = 0
    for c in digits:
        d = _digit_value(c)
        if d >= radix:
            return None
        n = n * radix + d
    return n


def _digit_value(c):
    if '0' <= c <= '9':
        return ord(c) - 48
    lower = c.lower()
    if 'a' <= lower <= 'f' and len(lower) == 1:
        return ord(lower) - 87
    return 99


def classify_ipv6(groups):
    g0, g1, g2, g3, g4, g5, g6, g7 = groups
    v4 = (g6 << 16) | g7
    zero_prefix = g0 == 0 and g1 == 0 and g2 == 0 and g3 == 0 and g4 == 0
    if zero_prefix and g5 == 0 and g6 == 0:
        return 'unspecified' if g7 == 0 else 'loopback' if g7 == 1 else classify_ipv4(v4)
    if zero_prefix and (g5 == 0xffff or g5 == 0):
        return classify_ipv4(v4)  # ::ffff:a.b.c.d mapped, ::a.b.c.d compatible
    if g0 == 0x64 and g1 == 0xff9b and g2 == 0 and g3 == 0 and g4 == 0 and g5 == 0:
        return classify_ipv4(v4)  # NAT64
    if g0 == 0x2002:
        return classify_ipv4((g1 << 16) | g2)  # 6to4
    if g0 == 0xfd00 and g1 == 0x0ec2 and g2 == 0 and g3 == 0 and g4 == 0 and g5 == 0 and g6 == 0 and g7 in (0x254, 0x23):
        return 'metadata'
    if (g0 & 0xffc0) == 0xfe80:
        return 'link-local'
    if (g0 & 0xfe00) == 0xfc00 or (g0 & 0xffc0) == 0xfec0:
        return 'private'  # ULA, old site-local
    return 'public'


def parse_ipv6(text):
    """Eight 16-bit groups, with `::` and a dotted IPv4 tail; a `%zone` is ignored."""
    zone = text.find('%')
    address = text if zone == -1 else text[:zone]
    halves = address.split('::')
    if len(halves) > 2:
        return None
    head = _parse_groups(halves[0])
    tail = _parse_groups(halves[1]) if len(halves) == 2 else []
    if head is None or tail is None:
        return None
    missing = 8 - len(head) - len(tail)
    if (missing < 1) if len(halves) == 2 else (missing != 0):
        return None
    return head + [0] * missing + tail


def _parse_groups(text):
    if text == '':
        return []
    groups = []
    parts = text.split(':')
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and '.' in part:
            v4 = _strict_dotted_ipv4(part)
            if v4 is None:
                return None
            groups.append(v4 >> 16)
            groups.append(v4 & 0xffff)
        else:
            if _HEX_GROUP.fullmatch(part) is None:
                return None
            groups.append(int(part, 16))
    return groups


def _strict_dotted_ipv4(text):
    """Inside IPv6 only plain dotted decimal is allowed (RFC 4291, WHATWG)."""
    parts = text.split('.')
    if len(parts) != 4:
        return None
    ip = 0
    for part in parts:
        if _DECIMAL_OCTET.fullmatch(part) is None or int(part) > 255:
            return None
        ip = ip * 256 + int(part)
    return ip
