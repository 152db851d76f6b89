"""A Python app with the bridge, in its own interpreter (Debian's /usr/bin/python3, which has
Flask), started through `python -m sidewatch.run`, and plain HTTP requests to it over loopback."""
import http.client
import json
import os
import subprocess
import threading

from tests.agent_process import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BRIDGE = os.path.dirname(HERE)
SYSTEM_PYTHON = '/usr/bin/python3'


class App(object):
    def __init__(self, script, env, python=SYSTEM_PYTHON):
        full_env = dict(os.environ)
        for key in list(full_env):
            if key.startswith('SIDEWATCH_'):
                del full_env[key]
        full_env.update(env)
        full_env['PYTHONPATH'] = BRIDGE
        full_env['PORT'] = '0'
        self.proc = subprocess.Popen([python, '-m', 'sidewatch.run', os.path.join(HERE, 'apps', script)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env, cwd=BRIDGE)
        self.out, self.err = [], []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True).start()
        try:
            self.port = wait_for('the app to listen (stderr: %s)' % self.err[-5:], self._port)
        except AssertionError:
            self.stop()
            raise

    @staticmethod
    def _read(stream, lines):
        for raw in stream:
            lines.append(raw.decode('utf-8', 'replace').rstrip('\n'))

    def _port(self):
        for line in list(self.out):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get('msg') == 'listening':
                return message['port']
        if self.proc.poll() is not None:
            raise AssertionError('the app exited with %s: %s' % (self.proc.returncode, '\n'.join(self.err[-20:])))
        return None

    def request(self, path, method='GET', body=None, headers=None):
        """(status, parsed JSON body or text)."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            data = res.read().decode('utf-8', 'replace')
            try:
                return res.status, json.loads(data)
            except ValueError:
                return res.status, data
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
