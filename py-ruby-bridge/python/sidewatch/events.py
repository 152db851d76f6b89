"""The wire events the bridge builds, one function per kind, in node-asm's shapes
(packages/node-asm/src/reporter/events*.ts; schema in packages/proto/event-schema.json)."""
from .envelope import cut, endpoint, envelope
from .redact import redact_url, redact_value

MAX_ARGS = 1024
MAX_ARG = 8192


def exec_event(identity, call, request_id=None, blocked=False):
    """process.exec from a ProcessCall (hooks/process_call.py)."""
    body = {
        'method': call.method,
        'file': cut(call.file, 4096),
        'args': [cut(a, MAX_ARG) for a in call.args[:MAX_ARGS]],
        'shell': call.shell,
        'command_line': cut(call.command_line, 32768),
        'sync': call.sync,
    }
    if call.cwd is not None:
        body['cwd'] = cut(call.cwd, 4096)
    if blocked:
        body['blocked'] = True
    event = envelope(identity, 'process.exec', request_id)
    event['exec'] = body
    return event


def fs_event(identity, call, request_id=None, blocked=False):
    """fs.op from a FileCall (hooks/file_call.py)."""
    body = {'op': cut(call.op, 64), 'path': cut(call.resolved, 4096), 'api': 'sync'}
    if call.dest is not None:
        body['dest'] = cut(call.dest, 4096)
    if call.flags is not None:
        body['flags'] = cut(call.flags, 32)
    if blocked:
        body['blocked'] = True
    event = envelope(identity, 'fs.op', request_id)
    event['fs'] = body
    return event


def attack_event(identity, finding, sink, request, blocked, frame=None):
    body = {
        'class': finding.klass,
        'sink': cut(sink, 128),
        'input': {'name': cut(finding.input.name, 256),
                  'value': cut(redact_value(finding.input.name, finding.input.value), 1024),
                  'source': finding.input.source},
        'target': cut(finding.target, 4096),
        'request': {'method': cut(request.method, 32), 'url': cut(redact_url(request.url), 8192)},
        'blocked': blocked,
    }
    route = request.route
    if route is not None:
        body['request']['route'] = cut(route, 1024)
    if frame is not None:
        body['frame'] = cut(frame, 2048)
    event = envelope(identity, 'attack', request.id)
    event['attack'] = body
    return event


def http_request_event(identity, request, status, duration_ms):
    body = {'method': cut(request.method, 32), 'url': cut(redact_url(request.url), 8192)}
    route = request.route
    if route is not None:
        body['route'] = cut(route, 1024)
    if isinstance(status, int) and 100 <= status <= 999:
        body['status'] = status
    if duration_ms is not None and duration_ms >= 0:
        body['duration_ms'] = round(duration_ms, 3)
    client = endpoint(request.client)
    if client is not None:
        body['client'] = client
    local = endpoint(request.local)
    if local is not None:
        body['local'] = local
    if request.user_agent is not None:
        body['user_agent'] = cut(request.user_agent, 1024)
    if request.blocked:
        body['blocked'] = True
    event = envelope(identity, 'http.request', request.id)
    event['http'] = body
    return event


def http_client_event(identity, call, request_id=None):
    """http.client from an OutboundCall (hooks/outbound_call.py)."""
    body = {'method': cut(call.method, 32), 'url': cut(redact_url(call.url), 8192), 'host': cut(call.host, 512)}
    if call.port is not None and 0 <= call.port <= 65535:
        body['port'] = call.port
    if call.blocked:
        body['error'] = 'Blocked: sidewatch blocked the call'
    event = envelope(identity, 'http.client', request_id)
    event['http'] = body
    return event


def stats_event(identity, dropped_events):
    """The bridge's own counters; `dropped_events` is how many were lost since the last report."""
    event = envelope(identity, 'agent.stats')
    event['stats'] = {'component': 'sdk', 'counters': {'dropped_events': dropped_events}}
    return event
