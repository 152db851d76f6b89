"""The forms of an input value that can reach a sink: the value, then each successive
percent-decoding of it that differs (at most two), for apps that decode a value again
(`unquote(request.args['x'])`). Decoding is JavaScript's decodeURIComponent: a malformed escape
or invalid UTF-8 leaves the value as it is."""
import re
from urllib.parse import unquote_to_bytes

MAX_DECODES = 2
_MALFORMED = re.compile(r'%(?![0-9A-Fa-f]{2})')


def input_values(input):
    """The forms of `input.value` to look for, cached on the input (recomputed if it changed)."""
    cached = input.decoded
    if cached is not None and cached[0] is input.value:
        return cached[1]
    values = decoded_values(input.value)
    input.decoded = (input.value, values)
    return values


def decoded_values(value):
    if '%' not in value:
        return (value,)
    values = [value]
    current = value
    for _ in range(MAX_DECODES):
        if '%' not in current:
            break
        nxt = percent_decode(current)
        if nxt == current:
            break
        values.append(nxt)
        current = nxt
    return tuple(values)


def percent_decode(value):
    """decodeURIComponent, returning the value unchanged where JavaScript would throw."""
    if _MALFORMED.search(value) is not None:
        return value
    try:
        return unquote_to_bytes(value).decode('utf-8')
    except (UnicodeError, ValueError):
        return value
