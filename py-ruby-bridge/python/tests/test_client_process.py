"""The client's behaviour in real processes against a real agent: flush at exit and its bound,
fork safety, fail-open on a bridge bug, configuration errors, a refused token, SIDEWATCH_DISABLED."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from tests.agent_process import Agent, TOKEN
from tests.app_process import BRIDGE

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'apps', 'scenarios.py')


def run(name, env, timeout=30):
    full = dict((k, v) for k, v in os.environ.items() if not k.startswith('SIDEWATCH_'))
    full.update(env)
    full['PYTHONPATH'] = BRIDGE
    started = time.monotonic()
    done = subprocess.run([sys.executable, SCENARIOS, name], capture_output=True, text=True, env=full, timeout=timeout)
    return done, time.monotonic() - started


class WithAgent(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.agent = Agent()

    @classmethod
    def tearDownClass(cls):
        cls.agent.cleanup()

    def env(self, **extra):
        env = {'SIDEWATCH_AGENT': 'unix:%s' % self.agent.unix, 'SIDEWATCH_TOKEN': TOKEN, 'SIDEWATCH_SERVICE': 'client-test'}
        env.update(extra)
        return env

    def fs_events(self, pid):
        return [e for e in self.agent.events() if e['kind'] == 'fs.op' and e['pid'] == pid]


class ExitAndForkTest(WithAgent):
    def test_a_short_program_delivers_its_events_at_exit(self):
        done, _ = run('sensitive', self.env(SIDEWATCH_FLUSH_INTERVAL_MS='60000'))
        self.assertEqual(done.returncode, 0, done.stderr)
        pid = int(done.stdout.split()[1])
        # With a 60 s flush interval only the exit flush can have sent it.
        event = self.agent.wait_event('the event of the ended program', lambda e: e['kind'] == 'fs.op' and e['pid'] == pid)
        self.assertEqual(event['fs']['path'], '/proc/self/environ')
        self.assertEqual(len(self.fs_events(pid)), 1)
        self.assertEqual(done.stderr, '')

    def test_a_forked_child_reports_on_its_own_and_never_resends_the_parents_events(self):
        done, _ = run('fork', self.env(SIDEWATCH_FLUSH_INTERVAL_MS='60000'))
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = dict(line.split() for line in done.stdout.split('\n') if line)
        parent, child = int(lines['parent']), int(lines['child'])
        self.assertEqual(len(self.fs_events(parent)), 2)
        self.assertEqual(len(self.fs_events(child)), 1)
        ids = [e['id'] for e in self.agent.events()]
        self.assertEqual(len(ids), len(set(ids)))

    def test_a_bug_in_a_hook_never_reaches_the_app_and_is_said_once(self):
        done, _ = run('broken_hook', self.env())
        self.assertEqual((done.returncode, done.stdout.strip()), (0, 'ran 3'), done.stderr)
        lines = done.stderr.strip().split('\n')
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith('sidewatch: SW_ERR_INTERNAL: the subprocess.Popen hook failed'), lines[0])

    def test_a_bad_setting_prints_one_config_line_and_the_default_is_used(self):
        done, _ = run('sensitive', self.env(SIDEWATCH_QUEUE_SIZE='lots', SIDEWATCH_MODE='loud'))
        self.assertEqual(done.returncode, 0)
        self.assertEqual(done.stderr.strip().split('\n'), [
            'sidewatch: SW_ERR_CONFIG: SIDEWATCH_MODE="loud" is not monitor or block; using monitor; '
            'SIDEWATCH_QUEUE_SIZE="lots" is not an integer from 1 to 1000000; using 10000'])
        self.assertEqual(len(self.fs_events(int(done.stdout.split()[1]))), 1)

    def test_a_wrong_token_is_said_once_and_the_program_runs(self):
        done, elapsed = run('sensitive', self.env(SIDEWATCH_TOKEN='wrong', SIDEWATCH_FLUSH_TIMEOUT_MS='500'))
        self.assertEqual(done.returncode, 0)
        self.assertIn('sidewatch: SW_ERR_AGENT_REJECTED: agent at unix:%s refused the handshake (SW_ERR_AUTH' % self.agent.unix, done.stderr)
        self.assertEqual(done.stderr.count('sidewatch:'), 1)
        self.assertEqual(self.fs_events(int(done.stdout.split()[1])), [])

    def test_disabled_does_nothing(self):
        done, _ = run('disabled', self.env(SIDEWATCH_DISABLED='1'))
        self.assertEqual((done.returncode, done.stdout.strip()), (0, 'enabled False queued 0'))


class ExitBoundTest(unittest.TestCase):
    def test_exit_waits_at_most_the_flush_timeout_for_an_agent_that_never_answers(self):
        directory = tempfile.mkdtemp(prefix='sidewatch-py-mute-')
        path = os.path.join(directory, 'mute.sock')
        mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mute.bind(path)
        mute.listen(8)  # accepts connections (the kernel does) and never says a word
        try:
            fast, fast_elapsed = run('idle', {'SIDEWATCH_AGENT': 'unix:%s' % path, 'SIDEWATCH_FLUSH_TIMEOUT_MS': '0'})
            slow, slow_elapsed = run('idle', {'SIDEWATCH_AGENT': 'unix:%s' % path, 'SIDEWATCH_FLUSH_TIMEOUT_MS': '700'})
        finally:
            mute.close()
            os.unlink(path)
            os.rmdir(directory)
        self.assertEqual((fast.returncode, slow.returncode), (0, 0))
        # The handshake timeout is 5 s: only the flush timeout bounds the wait.
        self.assertGreater(slow_elapsed - fast_elapsed, 0.5)
        self.assertLess(slow_elapsed, fast_elapsed + 2.0)


if __name__ == '__main__':
    unittest.main()
