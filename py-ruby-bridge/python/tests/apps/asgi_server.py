"""A minimal HTTP/1.1 server for ASGI apps on asyncio streams (no PyPI here, so no uvicorn): one
request per connection, Content-Length bodies, the ASGI 3 http scope. Enough to drive the ASGI
middleware over real sockets."""
import asyncio
import json
from urllib.parse import unquote


async def _handle(app, reader, writer):
    try:
        head = await reader.readuntil(b'\r\n\r\n')
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    lines = head.decode('latin-1').split('\r\n')
    method, target, _ = lines[0].split(' ', 2)
    headers = []
    for line in lines[1:]:
        if ':' in line:
            name, value = line.split(':', 1)
            headers.append((name.strip().lower().encode('latin-1'), value.strip().encode('latin-1')))
    length = int(dict(headers).get(b'content-length', b'0'))
    body = await reader.readexactly(length) if length else b''
    path, _, query = target.partition('?')
    peer, sock = writer.get_extra_info('peername'), writer.get_extra_info('sockname')
    scope = {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': method,
             'scheme': 'http', 'path': unquote(path), 'raw_path': path.encode('latin-1'),
             'query_string': query.encode('latin-1'), 'headers': headers,
             'client': (peer[0], peer[1]), 'server': (sock[0], sock[1])}
    pending = [{'type': 'http.request', 'body': body, 'more_body': False}]

    async def receive():
        return pending.pop() if pending else {'type': 'http.disconnect'}

    response = {'status': 500, 'headers': [], 'body': b''}

    async def send(message):
        if message['type'] == 'http.response.start':
            response['status'] = message['status']
            response['headers'] = message.get('headers', [])
        elif message['type'] == 'http.response.body':
            response['body'] += message.get('body', b'')

    try:
        await app(scope, receive, send)
    except Exception as err:  # the server answers 500, as servers do
        response = {'status': 500, 'headers': [], 'body': json.dumps({'error': repr(err)}).encode()}
    out = ['HTTP/1.1 %d X' % response['status'], 'Content-Length: %d' % len(response['body']), 'Connection: close']
    out += ['%s: %s' % (k.decode('latin-1'), v.decode('latin-1')) for k, v in response['headers']
            if k.lower() != b'content-length']
    writer.write(('\r\n'.join(out) + '\r\n\r\n').encode('latin-1') + response['body'])
    await writer.drain()
    writer.close()


async def serve(app, on_listening):
    server = await asyncio.start_server(lambda r, w: _handle(app, r, w), '127.0.0.1', 0)
    on_listening(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()
