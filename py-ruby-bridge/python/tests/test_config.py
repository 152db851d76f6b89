"""Configuration from SIDEWATCH_* variables, as node-asm reads them: bad values are named and the
default is used; the agent address forms; the reconnect backoff; the bounded queue."""
import unittest

from sidewatch.address import parse_agent_address
from sidewatch.backoff import Backoff
from sidewatch.bounded_queue import BoundedQueue
from sidewatch.config import read_config


class ConfigTest(unittest.TestCase):
    def test_defaults(self):
        config, problems = read_config({}, {})
        self.assertEqual(problems, [])
        self.assertEqual((str(config.agent), config.mode, config.mode_pinned, config.queue_size, config.batch_events,
                          config.flush_interval_ms, config.flush_timeout_ms, config.http_events, config.disabled),
                         ('tcp://127.0.0.1:7878', 'monitor', False, 10000, 256, 200, 2000, 'security', False))

    def test_environment_values(self):
        config, problems = read_config({}, {'SIDEWATCH_AGENT': 'unix:/run/sw.sock', 'SIDEWATCH_TOKEN': 't',
                                            'SIDEWATCH_SERVICE': 'shop', 'SIDEWATCH_MODE': 'block', 'SIDEWATCH_QUEUE_SIZE': '5',
                                            'SIDEWATCH_FLUSH_TIMEOUT_MS': '0', 'SIDEWATCH_DISABLED': 'no',
                                            'SIDEWATCH_REDACT': 'ssn, pin'})
        self.assertEqual(problems, [])
        self.assertEqual((config.agent.kind, config.agent.path, config.token, config.service, config.mode, config.mode_pinned,
                          config.queue_size, config.flush_timeout_ms, config.redact),
                         ('unix', '/run/sw.sock', 't', 'shop', 'block', True, 5, 0, ['ssn', 'pin']))

    def test_bad_values_are_named_and_the_default_used(self):
        config, problems = read_config({}, {'SIDEWATCH_AGENT': 'http://x', 'SIDEWATCH_MODE': 'loud',
                                            'SIDEWATCH_QUEUE_SIZE': '-3', 'SIDEWATCH_BATCH_SIZE': '1e3',
                                            'SIDEWATCH_DISABLED': 'maybe', 'SIDEWATCH_HTTP_EVENTS': 'some'})
        self.assertEqual((str(config.agent), config.mode, config.queue_size, config.batch_events, config.disabled,
                          config.http_events), ('tcp://127.0.0.1:7878', 'monitor', 10000, 256, False, 'security'))
        self.assertEqual(len(problems), 6)
        self.assertIn('SIDEWATCH_QUEUE_SIZE="-3" is not an integer from 1 to 1000000; using 10000', problems)
        self.assertIn('SIDEWATCH_MODE="loud" is not monitor or block; using monitor', problems)

    def test_options_win_over_the_environment(self):
        config, _ = read_config({'mode': 'block', 'queue_size': 7}, {'SIDEWATCH_MODE': 'monitor', 'SIDEWATCH_QUEUE_SIZE': '9'})
        self.assertEqual((config.mode, config.queue_size), ('block', 7))


class AddressTest(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(str(parse_agent_address('tcp://[::1]:7878')[0]), 'tcp://[::1]:7878')
        self.assertEqual(parse_agent_address('unix:///tmp/a.sock')[0].path, '/tmp/a.sock')
        self.assertEqual(parse_agent_address('tcp://127.0.0.1:70000')[1], 'has port 70000; expected 1-65535')
        self.assertIsNone(parse_agent_address('127.0.0.1:7878')[0])
        self.assertEqual(parse_agent_address('unix:')[1], 'has no socket path; expected unix:/PATH')


class BackoffTest(unittest.TestCase):
    def test_doubles_with_equal_jitter_up_to_the_cap(self):
        low = Backoff(100, 1000, rand=lambda: 0.0)
        self.assertEqual([low.next() for _ in range(6)], [50, 100, 200, 400, 500, 500])
        high = Backoff(100, 1000, rand=lambda: 0.999999)
        self.assertEqual([high.next() for _ in range(5)], [100, 200, 400, 800, 1000])
        high.reset()
        self.assertEqual(high.next(), 100)
        high.to_cap()
        self.assertEqual(high.next(), 1000)


class BoundedQueueTest(unittest.TestCase):
    def test_drops_the_oldest_and_counts(self):
        q = BoundedQueue(3)
        self.assertEqual([q.push(i) for i in range(5)], [0, 0, 0, 1, 1])
        self.assertEqual((q.dropped, [q.shift() for _ in range(3)], q.shift()), (2, [2, 3, 4], None))

    def test_unacknowledged_items_go_back_to_the_front(self):
        q = BoundedQueue(4)
        q.push('c')
        q.push('d')
        self.assertEqual(q.unshift_many(['x', 'a', 'b']), 1)
        self.assertEqual([q.shift() for _ in range(4)], ['a', 'b', 'c', 'd'])
        self.assertEqual(q.dropped, 1)


if __name__ == '__main__':
    unittest.main()
