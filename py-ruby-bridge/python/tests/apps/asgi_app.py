"""A tiny hand-written ASGI app with the bridge's ASGI middleware, served by asgi_server.py. Its
sink calls run where asyncio apps make them: an asyncio subprocess, a file read in
asyncio.to_thread (which carries the request's context), and a JSON body reaching a process."""
import asyncio
import json
import os
import subprocess
import sys
from urllib.parse import parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import sidewatch  # noqa: E402
from tests.apps.asgi_server import serve  # noqa: E402

PUBLIC = os.path.join(HERE, 'public')


def _read(path):
    with open(path) as f:
        return f.read()


async def _body(receive):
    data = b''
    while True:
        message = await receive()
        data += message.get('body', b'')
        if not message.get('more_body'):
            return data


async def app(scope, receive, send):
    query = dict((k, v[0]) for k, v in parse_qs(scope['query_string'].decode(), keep_blank_values=True).items())
    path = scope['path']
    if path == '/greet':
        proc = await asyncio.create_subprocess_shell('echo Hello %s' % query.get('name', ''), stdout=subprocess.PIPE)
        out, _ = await proc.communicate()
        result = {'greeting': out.decode()}
    elif path == '/file':
        result = {'text': await asyncio.to_thread(_read, os.path.normpath(os.path.join(PUBLIC, query['name'])))}
    elif path == '/convert':
        body = json.loads(await _body(receive))
        done = subprocess.run(['echo', 'convert', body['file']], capture_output=True, text=True)
        result = {'out': done.stdout}
    else:
        result = {'ok': True}
    payload = json.dumps(result).encode()
    await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'application/json')]})
    await send({'type': 'http.response.body', 'body': payload})


if __name__ == '__main__':
    asyncio.run(serve(sidewatch.ASGIMiddleware(app), lambda port: print(json.dumps({'msg': 'listening', 'port': port}), flush=True)))
