"""End to end: the real Flask app with the bridge, driven over HTTP with attacks and normal
traffic, reporting to a real agent (jsonl sink in a temporary directory)."""
import os
import shutil
import tempfile
import unittest
from urllib.parse import quote

from tests.agent_process import Agent, TOKEN, wait_for
from tests.app_process import App

SERVICE = 'flask-shop'


def q(value):
    return quote(value, safe='')


class FlaskMonitorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.agent = Agent()
        try:
            cls.app = App('flask_app.py', {'SIDEWATCH_AGENT': 'unix:%s' % cls.agent.unix, 'SIDEWATCH_TOKEN': TOKEN,
                                           'SIDEWATCH_SERVICE': SERVICE, 'SIDEWATCH_SUMMARY_INTERVAL_MS': '300'})
        except BaseException:
            cls.agent.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()
        cls.agent.cleanup()

    def request_events(self, path_part, kind):
        """The request's own http.request, then the events of `kind` under the same request id."""
        request = self.agent.wait_event('http.request for %s' % path_part,
                                        lambda e: e['kind'] == 'http.request' and path_part in e['http']['url'])
        found = self.agent.wait_event('%s under %s' % (kind, path_part),
                                      lambda e: e['kind'] == kind and e.get('request_id') == request['request_id'])
        return request, found

    def test_shell_injection_is_reported_with_its_process_and_request(self):
        status, body = self.app.request('/greet?name=' + q('bob; cat /etc/hostname'))
        self.assertEqual(status, 200)
        self.assertIn('Hello bob', body['greeting'])
        request, attack = self.request_events('/greet?name=bob', 'attack')
        self.assertEqual(attack['source'], 'python')
        self.assertEqual(attack['service'], SERVICE)
        self.assertEqual(attack['runtime']['name'], 'python')
        a = attack['attack']
        self.assertEqual((a['class'], a['sink'], a['input']['name'], a['blocked']),
                         ('shell_injection', 'subprocess.Popen', 'query.name', False))
        self.assertEqual(a['input']['value'], 'bob; cat /etc/hostname')
        self.assertEqual(a['request']['route'], '/greet')
        self.assertIn('flask_app.py:', a['frame'])
        _, exec_event = self.request_events('/greet?name=bob', 'process.exec')
        self.assertEqual(exec_event['exec']['command_line'], 'echo Hello bob; cat /etc/hostname')
        self.assertTrue(exec_event['exec']['shell'])
        self.assertEqual(request['http']['status'], 200)
        self.assertEqual(request['http']['route'], '/greet')
        self.agent.wait_event('the Shell injection alert', lambda e: e['kind'] == 'alert' and e['alert']['rule'] == 'Shell injection')

    def test_path_traversal_is_reported_with_the_file(self):
        status, body = self.app.request('/file?name=' + q('../' * 12 + 'etc/hostname'))
        self.assertEqual(status, 200)
        _, attack = self.request_events('/file?name=..', 'attack')
        self.assertEqual((attack['attack']['class'], attack['attack']['sink'], attack['attack']['target']),
                         ('path_traversal', 'open', '/etc/hostname'))
        _, fs = self.request_events('/file?name=..', 'fs.op')
        self.assertEqual((fs['fs']['op'], fs['fs']['path']), ('open', '/etc/hostname'))

    def test_ssrf_is_reported_with_the_outbound_call(self):
        url = 'http://127.0.0.1:%d/health' % self.app.port
        status, body = self.app.request('/preview?url=' + q(url))
        self.assertEqual((status, body['status']), (200, 200))
        _, attack = self.request_events('/preview?url=', 'attack')
        self.assertEqual((attack['attack']['class'], attack['attack']['sink'], attack['attack']['input']['name']),
                         ('ssrf', 'urllib.request', 'query.url'))
        _, call = self.request_events('/preview?url=', 'http.client')
        self.assertEqual((call['http']['method'], call['http']['url'], call['http']['host'], call['http']['port']),
                         ('GET', url, '127.0.0.1', self.app.port))

    def test_benign_process_and_os_system_are_reported_without_an_attack(self):
        self.assertEqual(self.app.request('/list')[0], 200)
        request, exec_event = self.request_events('/list', 'process.exec')
        self.assertEqual(exec_event['exec']['file'], 'ls')
        self.assertFalse(exec_event['exec']['shell'])
        self.assertEqual(self.app.request('/system?arg=ok')[0], 200)
        _, system = self.request_events('/system?arg=ok', 'process.exec')
        self.assertEqual((system['exec']['method'], system['exec']['command_line']), ('os.system', 'true ok'))
        self.assertFalse([e for e in self.agent.events() if e['kind'] == 'attack' and e.get('request_id') == request['request_id']])

    def test_sensitive_file_read_is_reported_and_alerted(self):
        self.assertEqual(self.app.request('/environ')[0], 200)
        _, fs = self.request_events('/environ', 'fs.op')
        self.assertEqual(fs['fs']['path'], '/proc/self/environ')
        self.agent.wait_event('the sensitive file alert',
                              lambda e: e['kind'] == 'alert' and e['alert']['rule'] == 'Sensitive file read by application')

    def test_plain_requests_are_counted_in_the_summary_and_errors_reported(self):
        for _ in range(3):
            self.assertEqual(self.app.request('/health')[0], 200)
        self.assertEqual(self.app.request('/boom')[0], 500)
        summary = self.agent.wait_event('an http.summary row for /health', lambda e: e['kind'] == 'http.summary' and any(
            row.get('route') == '/health' and row['status'] == 200 for row in e['http']['server']))
        self.assertTrue(summary['http']['start'] <= summary['http']['end'])
        self.agent.wait_event('http.request for the 500', lambda e: e['kind'] == 'http.request' and e['http']['url'] == '/boom'
                              and e['http']['status'] == 500)
        self.assertFalse([e for e in self.agent.events() if e['kind'] == 'http.request' and e['http']['url'] == '/health'])


class FlaskBlockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.agent = Agent()
        try:
            cls.app = App('flask_app.py', {'SIDEWATCH_AGENT': 'unix:%s' % cls.agent.unix, 'SIDEWATCH_TOKEN': TOKEN,
                                           'SIDEWATCH_SERVICE': SERVICE, 'SIDEWATCH_MODE': 'block'})
        except BaseException:
            cls.agent.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()
        cls.agent.cleanup()

    def test_an_attack_is_stopped_before_the_call_and_answered_403(self):
        marker = os.path.join(self.agent.dir, 'ran')
        status, body = self.app.request('/greet?name=' + q('x; touch %s' % marker))
        self.assertEqual(status, 403)
        self.assertEqual(body['class'], 'shell_injection')
        attack = self.agent.wait_event('the blocked attack', lambda e: e['kind'] == 'attack' and 'touch' in e['attack']['input']['value'])
        self.assertTrue(attack['attack']['blocked'])
        exec_event = self.agent.wait_event('the blocked process.exec', lambda e: e['kind'] == 'process.exec' and 'touch' in e['exec']['command_line'])
        self.assertTrue(exec_event['exec']['blocked'])
        request = self.agent.wait_event('the blocked request', lambda e: e['kind'] == 'http.request' and 'touch' in e['http']['url'])
        self.assertEqual((request['http']['status'], request['http'].get('blocked')), (403, True))
        self.assertFalse(os.path.exists(marker), 'the command ran')

    def test_a_blocked_call_the_app_catches_is_still_a_403(self):
        status, body = self.app.request('/careless?name=' + q('a && id'))
        self.assertEqual(status, 403)

    def test_path_traversal_and_ssrf_are_blocked(self):
        self.assertEqual(self.app.request('/file?name=' + q('../' * 12 + 'etc/hostname'))[0], 403)
        self.assertEqual(self.app.request('/preview?url=' + q('http://127.0.0.1:%d/health' % self.app.port))[0], 403)

    def test_benign_requests_go_through(self):
        self.assertEqual(self.app.request('/list')[0], 200)
        status, body = self.app.request('/file?name=readme.txt')
        self.assertEqual((status, body['text']), (200, 'hello from public\n'))
        self.assertEqual(self.app.request('/greet?name=bob')[0], 200)


class FlaskAgentDownTest(unittest.TestCase):
    """With no agent, the app serves normally; when the agent comes up, what was queued arrives."""

    def test_the_app_serves_without_an_agent_and_delivers_once_it_is_up(self):
        directory = tempfile.mkdtemp(prefix='sidewatch-py-down-')
        socket_path = os.path.join(directory, 'agent.sock')
        app = App('flask_app.py', {'SIDEWATCH_AGENT': 'unix:%s' % socket_path, 'SIDEWATCH_TOKEN': TOKEN,
                                   'SIDEWATCH_SERVICE': SERVICE, 'SIDEWATCH_QUEUE_SIZE': '5'})
        agent = None
        try:
            for _ in range(4):
                self.assertEqual(app.request('/greet?name=' + q('down; id'))[0], 200)
            status, body = app.request('/file?name=readme.txt')
            self.assertEqual((status, body['text']), (200, 'hello from public\n'))
            self.assertEqual(app.request('/health')[0], 200)
            agent = Agent(directory)
            stats = agent.wait_event('the dropped count', lambda e: e['kind'] == 'agent.stats' and e.get('source') == 'python', 30)
            # 4 requests x (attack, process.exec, http.request) = 12 events into a queue of 5.
            self.assertEqual(stats['stats']['counters']['dropped_events'], 7)
            wait_for('the queued events', lambda: True if len([e for e in agent.events() if e.get('source') == 'python'
                                                                and e['kind'] != 'agent.stats']) >= 5 else None, 30)
        finally:
            app.stop()
            if agent is not None:
                agent.cleanup()
            shutil.rmtree(directory, ignore_errors=True)
        self.assertFalse([line for line in app.err if 'Traceback' in line], app.err)


if __name__ == '__main__':
    unittest.main()
