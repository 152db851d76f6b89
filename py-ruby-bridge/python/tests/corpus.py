"""The node-asm detector corpus (packages/node-asm/test/corpus) read for the Python tests: each case
says how an app builds a sink argument from a request input; `sink_argument` builds it the way a
Python app does, with the Python call that does what the Node one does:

- path.join(base, v)            -> posixpath.normpath(base + '/' + v)  (os.path.join drops `base`
                                   when `v` is absolute: that is itself traversal, see README)
- path.resolve(base, v)         -> posixpath.normpath(posixpath.join(base, v))
- fileURLToPath(new URL(v))     -> urllib.request.url2pathname(urlsplit(v).path) for file: URLs
                                   whose host is empty or localhost
- new URL(url).href             -> the URL string as built: urllib.request.urlopen hands the
                                   string itself to the `urllib.Request` audit event
- decodeURIComponent / encodeURIComponent -> urllib.parse.unquote / quote(safe="-_.!~*'()")
- shell quoting                 -> shlex.quote
"""
import json
import os
import posixpath
import re
import shlex
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
CORPUS = os.path.join(REPO, 'packages', 'node-asm', 'test', 'corpus')
CLASSES = ('shell_injection', 'command_injection', 'path_traversal', 'ssrf')
CWD = '/srv/app'


def load(name):
    with open(os.path.join(CORPUS, name + '.json'), encoding='utf-8') as f:
        return json.load(f)['cases']


def app_value(case):
    """The value as the app's code holds it when it builds the sink argument."""
    b = case['build']
    v = case['input']['value']
    if b.get('decode'):
        v = unquote(v, errors='strict')
    if b.get('encode'):
        v = quote(v, safe="-_.!~*'()")
    if b.get('quote'):
        v = shlex.quote(v)
    return v


def fill(template, v):
    return template.replace('{}', v)


def fs_path(b, v):
    if 'path_override' in b:
        return b['path_override']
    base = b.get('base', CWD)
    if b.get('join'):
        return posixpath.normpath(base + '/' + v)
    if b.get('resolve'):
        return posixpath.normpath(posixpath.join(base, v))
    if b.get('concat'):
        return base + v
    if b.get('fileUrl'):
        parts = urlsplit(v)
        if parts.scheme != 'file' or parts.netloc not in ('', 'localhost'):
            raise ValueError('not a local file URL: %r' % v)
        return url2pathname(parts.path)
    if b.get('home'):
        return re.sub(r'^~', '/root', v)
    return v


def sink_argument(case):
    """(kind, argument) as the Python app passes it: ('exec', command line), ('execFile', [file,
    *args]), ('fs', (path, op)) or ('http', url)."""
    b = case['build']
    v = app_value(case)
    sink = case['sink']
    if sink == 'exec':
        return fill(b['template'], v)
    if sink == 'execFile':
        return [fill(b['file'], v)] + [fill(a, v) for a in b.get('args', [])]
    if sink == 'fs':
        return fs_path(b, v), b.get('op', 'readFile')
    return fill(b['url'], v)


class Rates(object):
    """Detection and false-positive counts per class, printed as node-asm's corpus test does."""

    def __init__(self):
        self.detected = dict((k, [0, 0]) for k in CLASSES)
        self.flagged = dict((k, [0, 0]) for k in CLASSES)

    def attack(self, klass, ok):
        self.detected[klass][1] += 1
        self.detected[klass][0] += 1 if ok else 0

    def benign(self, klass, flagged):
        self.flagged[klass][1] += 1
        self.flagged[klass][0] += 1 if flagged else 0

    def table(self, title):
        rows = ['%s' % title, 'class              attacks  detected  benign  false positives']
        for k in CLASSES:
            hit, total = self.detected[k]
            fp, clean = self.flagged[k]
            rows.append('%-18s %7d  %8s  %6d  %15s' % (k, total, _pct(hit, total), clean, _pct(fp, clean)))
        return '\n'.join(rows)


def _pct(n, d):
    return '0%' if d == 0 else '%.1f%%' % (100.0 * n / d)
