"""Checks one event against the event schema, loaded at run time from event_schema.json, a copy
of packages/proto/event-schema.json shipped in the package (a test keeps it identical)."""
import json
import os

from .schema_check import first_error

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'event_schema.json')
_schema = None


def event_schema():
    global _schema
    if _schema is None:
        with open(SCHEMA_FILE, encoding='utf-8') as f:
            _schema = json.load(f)
    return _schema


def validate_event(event):
    """(field, message) for an invalid event (field a JSON Pointer into it), None when valid."""
    schema = event_schema()
    if not isinstance(event, dict):
        return '', 'event must be a JSON object'
    kind = event.get('kind')
    defs = schema['$defs']
    if not isinstance(kind, str) or kind not in defs:
        got = json.dumps(kind[:64]) if isinstance(kind, str) else 'missing'
        return '/kind', 'kind %s is not one of %s' % (got, ', '.join(defs))
    err = first_error(defs[kind], event, schema)
    if err is None:
        return None
    field, message = err
    return field, '%s event: %s: %s' % (kind, field, message)
