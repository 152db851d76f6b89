"""The Flask app of the bridge-python benchmark (benchmarks/bridge-python.mjs), without the bridge or
with it (BENCH_BRIDGE=1: sidewatch.start() and the WSGI middleware, as an app would run it).
Routes: /hello (JSON) and /file?name=NAME (reads a file of BENCH_FILES_DIR, the input judged by the
path-traversal check).

  python3 python-flask.py serve                werkzeug's threaded server on 127.0.0.1:0 (TCP_NODELAY); prints
                                               {"msg": "listening", "port": N, "bridge": bool}
  python3 python-flask.py inprocess BATCHES N  Flask's test client, no server: for each route, the
                                               process CPU µs per request of the best of BATCHES
                                               batches of N requests; prints one JSON line
  python3 python-flask.py count PATH N         300 warm-up requests of PATH, then N more (run under
                                               callgrind with two values of N: the difference is
                                               the instructions of N requests)"""
import json
import os
import sys
import time

from flask import Flask, jsonify, request

BRIDGE = os.environ.get('BENCH_BRIDGE') == '1'
DIR = os.environ['BENCH_FILES_DIR']

app = Flask(__name__)
if BRIDGE:
    import sidewatch
    sidewatch.start()
    app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)


@app.get('/hello')
def hello():
    return jsonify(hello='world')


@app.get('/file')
def file():
    with open(os.path.join(DIR, request.args['name'])) as f:
        return jsonify(text=f.read())


ROUTES = (('hello', '/hello'), ('file', '/file?name=catalog.txt'))


def serve():
    import socket
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Handler(WSGIRequestHandler):
        """No access log; TCP_NODELAY, as production servers set it: werkzeug writes the headers
        and the body apart, and without it each keep-alive response waits ~40 ms for the client's
        delayed ACK (the server idles at ~25 req/s per connection, bridge or not)."""

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *args, **kwargs):
            pass

    server = make_server('127.0.0.1', 0, app, threaded=True, request_handler=Handler)
    print(json.dumps({'msg': 'listening', 'port': server.server_port, 'bridge': 'sidewatch' in sys.modules}), flush=True)
    server.serve_forever()


def in_process(batches, size):
    client = app.test_client()
    out = {'bridge': 'sidewatch' in sys.modules}
    for name, path in ROUTES:
        for _ in range(300):
            client.get(path).close()
        best = float('inf')
        for _ in range(batches):
            c0 = time.process_time()
            for _ in range(size):
                client.get(path).close()
            best = min(best, (time.process_time() - c0) / size * 1e6)
        out[name] = best
    print(json.dumps(out))


def count(path, n):
    client = app.test_client()
    for _ in range(300 + n):
        res = client.get(path)
        if res.status_code != 200:
            raise SystemExit('%s answered %d' % (path, res.status_code))
        res.close()
    print(json.dumps({'bridge': 'sidewatch' in sys.modules}))


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'serve':
        serve()
    elif mode == 'inprocess':
        in_process(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == 'count':
        count(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
