"""The node-asm attack corpus through a real Flask app with the bridge in block mode, reporting to a
real agent: each case is sent as a request carrying its input where the case says (query, JSON
body, header, cookie, route parameter); the app builds the sink argument as the case says and
makes the real call (tests/apps/flask_app.py). Every attack must be answered 403 and reported
as an `attack` with its class and input; no benign case may be. Prints the rates per class.

Not applicable in Python: a path holding a NUL byte. open() and the os functions refuse it
(ValueError: embedded null byte) before any audit event, so the call cannot happen; the test
checks that the app got that ValueError. The detector still flags such inputs
(test_detectors_corpus)."""
import json
import sys
import unittest
from urllib.parse import quote, urlsplit

from tests import corpus
from tests.agent_process import Agent, TOKEN, wait_for
from tests.app_process import App


def send(app, case):
    source = case['input']['source']
    key = case['input']['name'].split('.', 1)[1]
    value = case['input']['value']
    path = '/c/%s' % case['id']
    if source == 'query':
        return app.request('%s?%s=%s' % (path, quote(key, safe=''), quote(value, safe='')))
    if source == 'body':
        return app.request(path, 'POST', json.dumps({key: value}), {'Content-Type': 'application/json'})
    if source == 'headers':
        return app.request(path, headers={key: value})
    if source == 'cookies':
        return app.request(path, headers={'Cookie': '%s=%s' % (key, quote(value, safe=''))})
    return app.request('%s/%s/%s' % (path, key, quote(value, safe='')))


def case_of(event):
    parts = urlsplit(event['attack']['request']['url']).path.split('/')
    return parts[2] if len(parts) > 2 and parts[1] == 'c' else None


def not_applicable(case):
    return case['sink'] == 'fs' and '\0' in case['input']['value']


class CorpusThroughFlaskTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.attacks = corpus.load('attacks')
        cls.benign = corpus.load('benign')
        cls.agent = Agent()
        try:
            cls.app = App('flask_app.py', {'SIDEWATCH_AGENT': 'unix:%s' % cls.agent.unix, 'SIDEWATCH_TOKEN': TOKEN,
                                           'SIDEWATCH_SERVICE': 'corpus', 'SIDEWATCH_MODE': 'block'})
        except BaseException:
            cls.agent.cleanup()
            raise
        cls.found = {}
        try:
            cls.answers = dict((c['id'], send(cls.app, c)) for c in cls.attacks + cls.benign)
            expected = sum(1 for c in cls.attacks if not not_applicable(c))
            try:
                wait_for('%d attack events' % expected, lambda: True if len(cls._collect()) >= expected else None, 30)
            except AssertionError:
                pass  # the tests name the missing cases
        except BaseException:
            cls.app.stop()
            cls.agent.cleanup()
            raise

    @classmethod
    def _collect(cls):
        for event in cls.agent.events():
            if event['kind'] == 'attack':
                cls.found.setdefault(case_of(event), event['attack'])
        return cls.found

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()
        cls.agent.cleanup()
        rates = corpus.Rates()
        skipped = []
        for case in cls.attacks:
            if not_applicable(case):
                skipped.append(case['id'])
                continue
            attack = cls.found.get(case['id'])
            rates.attack(case['class'], cls.answers[case['id']][0] == 403 and attack is not None
                         and attack['class'] == case['class'] and attack['input']['name'] == case['input']['name'])
        for case in cls.benign:
            rates.benign(case['class'], cls.answers[case['id']][0] != 200 or case['id'] in cls.found)
        sys.stdout.write('\n' + rates.table('# corpus through a Flask app (block mode, real agent)') + '\n')
        sys.stdout.write('# not applicable in Python (NUL in a path: ValueError before the call): %s\n' % ', '.join(skipped))

    def test_every_attack_is_blocked_and_reported_with_its_class_and_input(self):
        for case in self.attacks:
            if not_applicable(case):
                continue
            with self.subTest(case['id']):
                status, body = self.answers[case['id']]
                self.assertEqual(status, 403, '%s: %s (answer %r)' % (case['id'], case['comment'], body))
                attack = self.found.get(case['id'])
                self.assertIsNotNone(attack, 'no attack event')
                self.assertEqual((attack['class'], attack['input']['name'], attack['blocked']),
                                 (case['class'], case['input']['name'], True))

    def test_no_benign_case_is_blocked_or_reported(self):
        for case in self.benign:
            with self.subTest(case['id']):
                status, body = self.answers[case['id']]
                self.assertEqual(status, 200, '%s: %s (answer %r)' % (case['id'], case['comment'], body))
                self.assertNotIn(case['id'], self.found)

    def test_a_nul_in_a_path_is_refused_by_python_before_the_call(self):
        cases = [c for c in self.attacks if not_applicable(c)]
        self.assertEqual(len(cases), 2)
        for case in cases:
            status, body = self.answers[case['id']]
            self.assertEqual((status, body), (200, {'done': False, 'error': 'ValueError'}), case['id'])


if __name__ == '__main__':
    unittest.main()
