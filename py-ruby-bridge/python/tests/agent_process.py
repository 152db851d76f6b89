"""The real sidewatch agent for the end-to-end tests: the built CLI (packages/agent/dist, made by
scripts/setup's `npx tsc -b`) on a unix socket and a loopback port it picks, with a jsonl sink in a
temporary directory. Everything waits on what the agent says, with a deadline."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from tests.corpus import REPO

AGENT_BIN = os.path.join(REPO, 'packages', 'agent', 'bin', 'sidewatch-agent.js')
NODE = shutil.which('node') or '/usr/bin/node'
TOKEN = 'bridge-token'


def wait_for(what, check, timeout=15.0, interval=0.02):
    """Polls `check` until it returns something other than None; raises after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.1f s waiting for %s' % (timeout, what))
        time.sleep(interval)


class Agent(object):
    def __init__(self, directory=None, token=TOKEN, extra=()):
        self.own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix='sidewatch-py-')
        self.unix = os.path.join(self.dir, 'agent.sock')
        self.jsonl = os.path.join(self.dir, 'events.jsonl')
        self.token = token
        self.lines = []
        self.proc = subprocess.Popen(
            [NODE, AGENT_BIN, 'run', '--listen', 'unix:%s' % self.unix, '--listen', 'tcp://127.0.0.1:0',
             '--token', token, '--sink', 'jsonl:%s' % self.jsonl, '--capture', 'off', '--proc', 'off'] + list(extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=dict(os.environ, SIDEWATCH_LOG_LEVEL='debug'))
        threading.Thread(target=self._read, daemon=True).start()
        try:
            tcp = wait_for('the agent tcp listener', lambda: self._listening('tcp://'))
            wait_for('the agent unix listener', lambda: self._listening('unix:'))
        except AssertionError:
            self.stop()
            raise
        self.tcp = tcp

    def _read(self):
        for raw in self.proc.stderr:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                self.lines.append({'text': raw.decode('utf-8', 'replace')})

    def _listening(self, prefix):
        for line in list(self.lines):
            if line.get('msg') == 'listening' and str(line.get('address', '')).startswith(prefix):
                return line['address']
        return None

    def events(self):
        """The events in the jsonl sink (complete lines only)."""
        try:
            with open(self.jsonl, encoding='utf-8') as f:
                return [json.loads(line) for line in f.read().split('\n') if line.endswith('}')]
        except FileNotFoundError:
            return []

    def wait_event(self, what, match, timeout=15.0):
        return wait_for(what, lambda: next((e for e in self.events() if match(e)), None), timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
