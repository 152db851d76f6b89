"""End to end: a hand-written ASGI app with the ASGI middleware, over real sockets, reporting to a
real agent; in monitor and in block mode."""
import json
import os
import unittest
from urllib.parse import quote

from tests.agent_process import Agent, TOKEN
from tests.app_process import App


class AsgiTest(unittest.TestCase):
    mode = 'monitor'

    @classmethod
    def setUpClass(cls):
        cls.agent = Agent()
        try:
            cls.app = App('asgi_app.py', {'SIDEWATCH_AGENT': 'unix:%s' % cls.agent.unix, 'SIDEWATCH_TOKEN': TOKEN,
                                          'SIDEWATCH_SERVICE': 'asgi-%s' % cls.mode, 'SIDEWATCH_MODE': cls.mode})
        except BaseException:
            cls.agent.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()
        cls.agent.cleanup()

    def attack_for(self, fragment):
        return self.agent.wait_event('an attack for %s' % fragment, lambda e: e['kind'] == 'attack'
                                     and fragment in e['attack']['request']['url'])['attack']


class AsgiMonitorTest(AsgiTest):
    def test_shell_injection_from_an_asyncio_subprocess(self):
        status, body = self.app.request('/greet?name=' + quote('bob; echo pwned', safe=''))
        self.assertEqual(status, 200)
        self.assertIn('pwned', body['greeting'])
        attack = self.attack_for('/greet?name=bob')
        self.assertEqual((attack['class'], attack['input']['name'], attack['blocked']), ('shell_injection', 'query.name', False))

    def test_path_traversal_in_a_worker_thread_keeps_the_request(self):
        status, body = self.app.request('/file?name=' + quote('../' * 12 + 'etc/hostname', safe=''))
        self.assertEqual(status, 200)
        attack = self.attack_for('/file?name=')
        self.assertEqual((attack['class'], attack['target']), ('path_traversal', '/etc/hostname'))

    def test_a_json_body_input_reaching_a_process(self):
        status, body = self.app.request('/convert', 'POST', json.dumps({'file': '--output=/tmp/x'}),
                                        {'Content-Type': 'application/json'})
        self.assertEqual(status, 200)
        attack = self.attack_for('/convert')
        self.assertEqual((attack['class'], attack['input']['name'], attack['input']['value']),
                         ('command_injection', 'body.file', '--output=/tmp/x'))
        request = self.agent.wait_event('the request', lambda e: e['kind'] == 'http.request' and e['http']['url'] == '/convert')
        self.assertEqual((request['http']['method'], request['http']['status']), ('POST', 200))

    def test_benign_requests_carry_no_attack(self):
        self.assertEqual(self.app.request('/file?name=readme.txt'), (200, {'text': 'hello from public\n'}))
        self.assertEqual(self.app.request('/convert', 'POST', json.dumps({'file': 'a.png'}),
                                          {'Content-Type': 'application/json'})[0], 200)
        exec_event = self.agent.wait_event('the benign process', lambda e: e['kind'] == 'process.exec' and e['exec']['args'] == ['convert', 'a.png'])
        self.assertFalse([e for e in self.agent.events() if e['kind'] == 'attack' and e.get('request_id') == exec_event['request_id']])


class AsgiBlockTest(AsgiTest):
    mode = 'block'

    def test_an_attack_is_answered_403_before_it_runs(self):
        marker = os.path.join(self.agent.dir, 'ran')
        status, body = self.app.request('/greet?name=' + quote('x; touch %s' % marker, safe=''))
        self.assertEqual((status, body['class']), (403, 'shell_injection'))
        self.assertTrue(self.attack_for('/greet?name=x')['blocked'])
        self.assertFalse(os.path.exists(marker))

    def test_traversal_in_a_thread_and_a_body_option_are_blocked(self):
        self.assertEqual(self.app.request('/file?name=' + quote('../' * 12 + 'etc/hostname', safe=''))[0], 403)
        self.assertEqual(self.app.request('/convert', 'POST', json.dumps({'file': '--output=/tmp/x'}),
                                          {'Content-Type': 'application/json'})[0], 403)
        self.assertEqual(self.app.request('/greet?name=ann')[0], 200)


del AsgiTest

if __name__ == '__main__':
    unittest.main()
