"""A real Flask app for the end-to-end tests, run as `python -m sidewatch.run flask_app.py` on
Debian's python3-flask. Prints one JSON line {"msg": "listening", "port": N} once it serves on
127.0.0.1 (port 0: the kernel picks).

Demo routes run real calls with request input (harmless here: echo, /etc/hostname, a loopback
upstream). /c/<case>/... replays a node-asm corpus case: it builds the sink argument as the case
says and makes the real call, in a form that cannot do harm: child processes exit in preexec_fn
before exec, outbound calls go through an opener whose handler refuses to connect (the
`urllib.Request` audit event has fired by then), files are opened under paths that do not exist
unless the call is an attack, which block mode stops before it happens."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import unquote

from flask import Flask, jsonify, request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import sidewatch  # noqa: E402
from tests import corpus  # noqa: E402

PUBLIC = os.path.join(HERE, 'public')
app = Flask(__name__)
app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)
CASES = dict((c['id'], c) for c in corpus.load('attacks') + corpus.load('benign'))


@app.get('/health')
def health():
    return jsonify(ok=True)


@app.get('/greet')
def greet():
    out = subprocess.run('echo Hello %s' % request.args.get('name', 'world'), shell=True, capture_output=True, text=True)
    return jsonify(greeting=out.stdout)


@app.get('/system')
def system():
    return jsonify(status=os.system('true %s' % request.args.get('arg', '')))


@app.get('/list')
def listing():
    out = subprocess.run(['ls', '-1', PUBLIC], capture_output=True, text=True)
    return jsonify(files=out.stdout.split())


@app.get('/file')
def read_file():
    with open(os.path.normpath(os.path.join(PUBLIC, request.args['name']))) as f:
        return jsonify(text=f.read())


@app.get('/environ')
def environ():
    with open('/proc/self/environ', 'rb') as f:
        return jsonify(size=len(f.read()))


@app.get('/preview')
def preview():
    with urllib.request.urlopen(request.args['url'], timeout=5) as res:
        return jsonify(status=res.status, body=res.read().decode())


@app.get('/careless')
def careless():
    """Catches everything, as careless apps do: a blocked call must still end in a 403."""
    try:
        subprocess.run('echo %s' % request.args.get('name', ''), shell=True)
    except Exception as err:
        return jsonify(error=str(err)), 500
    return jsonify(ok=True)


@app.get('/boom')
def boom():
    raise RuntimeError('a server error')


# -- corpus replay ------------------------------------------------------------------------------

class _Refuse(urllib.request.BaseHandler):
    handler_order = 100

    def http_open(self, req):
        raise urllib.error.URLError('the test app makes no outbound connections')

    https_open = http_open


_OPENER = urllib.request.build_opener(_Refuse)


def _exit_before_exec():
    os._exit(0)


def _case_value(case):
    """The input as the app reads it from the request, where the case says it comes from."""
    source, name = case['input']['source'], case['input']['name'].split('.', 1)[1]
    if source == 'query':
        return request.args[name]
    if source == 'body':
        return request.get_json(force=True)[name]
    if source == 'headers':
        return request.headers[name]
    if source == 'cookies':
        return unquote(request.cookies[name])  # as Node cookie parsers do
    return request.view_args[name]


def _replay(case_id):
    case = CASES[case_id]
    sink = case['sink']
    value = _case_value(case)
    arg = corpus.sink_argument(dict(case, input=dict(case['input'], value=value)))
    if sink == 'exec':
        subprocess.Popen(arg, shell=True, preexec_fn=_exit_before_exec).wait()
    elif sink == 'execFile':
        subprocess.Popen(arg, preexec_fn=_exit_before_exec).wait()
    elif sink == 'fs':
        path, op = arg
        try:
            if op == 'readdir':
                os.listdir(path)
            elif op == 'unlink':
                os.remove(path)
            elif op == 'writeFile':
                open(path, 'w').close()
            else:
                open(path, 'rb').close()
        except (OSError, ValueError) as err:
            if isinstance(err, sidewatch.Blocked):
                raise
            return jsonify(done=False, error=type(err).__name__)
    else:
        try:
            _OPENER.open(arg, timeout=1)
        except urllib.error.URLError:
            pass
    return jsonify(done=True)


@app.route('/c/<case_id>', methods=['GET', 'POST'])
def replay(case_id):
    return _replay(case_id)


@app.route('/c/<case_id>/id/<path:id>')
def replay_id(case_id, id):
    return _replay(case_id)


@app.route('/c/<case_id>/tenant/<path:tenant>')
def replay_tenant(case_id, tenant):
    return _replay(case_id)


@app.route('/c/<case_id>/sha/<path:sha>')
def replay_sha(case_id, sha):
    return _replay(case_id)


if __name__ == '__main__':
    from werkzeug.serving import make_server
    server = make_server('127.0.0.1', int(os.environ.get('PORT', '0')), app, threaded=True)
    print(json.dumps({'msg': 'listening', 'port': server.server_port}), flush=True)
    server.serve_forever()
