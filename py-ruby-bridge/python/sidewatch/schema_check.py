"""A small JSON Schema (2020-12) checker for the subset the sidewatch schemas use: type, const,
anyOf, oneOf, $ref into $defs, properties, required, patternProperties, items, minLength,
maxLength, pattern, minimum, maximum, maxItems. It reports the first error as (JSON Pointer,
message), walking properties in schema order as the TypeScript validator (TypeBox) does.
String lengths count UTF-16 code units, as JavaScript does."""
import re

_PATTERNS = {}


def first_error(schema, value, root=None, path=''):
    """(field, message) of the first error of `value` against `schema`, or None when it is valid."""
    root = schema if root is None else root
    ref = schema.get('$ref')
    if ref is not None:
        return first_error(_resolve(root, ref), value, root, path)
    for key in ('anyOf', 'oneOf'):
        options = schema.get(key)
        if options is not None:
            matches = sum(1 for option in options if first_error(option, value, root, path) is None)
            if matches == 0 or (key == 'oneOf' and matches > 1):
                return path, 'expected %s of the allowed values' % ('one' if key == 'oneOf' else 'any')
    kind = schema.get('type')
    if kind is not None and not _is_type(kind, value):
        return path, 'expected %s' % kind
    if 'const' in schema and not (value == schema['const'] and type(value) is type(schema['const'])):
        return path, 'expected %r' % (schema['const'],)
    if isinstance(value, str):
        return _check_string(schema, value, path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 'minimum' in schema and value < schema['minimum']:
            return path, 'expected at least %s' % schema['minimum']
        if 'maximum' in schema and value > schema['maximum']:
            return path, 'expected at most %s' % schema['maximum']
        return None
    if isinstance(value, list):
        if 'maxItems' in schema and len(value) > schema['maxItems']:
            return path, 'expected at most %d items' % schema['maxItems']
        items = schema.get('items')
        if items is not None:
            for i, item in enumerate(value):
                err = first_error(items, item, root, '%s/%d' % (path, i))
                if err is not None:
                    return err
        return None
    if isinstance(value, dict):
        return _check_object(schema, value, root, path)
    return None


def _check_object(schema, value, root, path):
    required = schema.get('required', ())
    properties = schema.get('properties', {})
    for name, sub in properties.items():
        child = '%s/%s' % (path, _escape(name))
        if name not in value:
            if name in required:
                return child, 'expected required property'
            continue
        err = first_error(sub, value[name], root, child)
        if err is not None:
            return err
    for name in required:
        if name not in properties and name not in value:
            return '%s/%s' % (path, _escape(name)), 'expected required property'
    pattern_properties = schema.get('patternProperties')
    if pattern_properties:
        for pattern, sub in pattern_properties.items():
            rx = _compile(pattern)
            for name, item in value.items():
                if rx.search(name) is not None:
                    err = first_error(sub, item, root, '%s/%s' % (path, _escape(name)))
                    if err is not None:
                        return err
    return None


def _check_string(schema, value, path):
    if 'maxLength' in schema or 'minLength' in schema:
        n = _utf16_length(value)
        if 'maxLength' in schema and n > schema['maxLength']:
            return path, 'expected at most %d characters' % schema['maxLength']
        if 'minLength' in schema and n < schema['minLength']:
            return path, 'expected at least %d characters' % schema['minLength']
    if 'pattern' in schema and _compile(schema['pattern']).search(value) is None:
        return path, 'expected to match %s' % schema['pattern']
    return None


def _is_type(kind, value):
    if kind == 'string':
        return isinstance(value, str)
    if kind == 'object':
        return isinstance(value, dict)
    if kind == 'array':
        return isinstance(value, list)
    if kind == 'boolean':
        return isinstance(value, bool)
    if kind == 'null':
        return value is None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == 'integer':
        return isinstance(value, int) or value.is_integer()
    return kind == 'number' and value == value and value not in (float('inf'), float('-inf'))


def _utf16_length(text):
    n = len(text)
    for c in text:
        if ord(c) > 0xffff:
            n += 1
    return n


def _compile(pattern):
    """JavaScript's reading of the pattern: ASCII `\\d`, and `$` only at the very end."""
    rx = _PATTERNS.get(pattern)
    if rx is None:
        text = pattern[:-1] + r'\Z' if pattern.endswith('$') and not pattern.endswith('\\$') else pattern
        rx = _PATTERNS[pattern] = re.compile(text, re.ASCII)
    return rx


def _resolve(root, ref):
    if not ref.startswith('#/'):
        raise ValueError('only local references are supported: %s' % ref)
    node = root
    for part in ref[2:].split('/'):
        node = node[part.replace('~1', '/').replace('~0', '~')]
    return node


def _escape(name):
    return name.replace('~', '~0').replace('/', '~1')
