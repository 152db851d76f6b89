"""Unacknowledged batches are sent again after a reconnect: an agent that takes a batch and dies
before its ack, then the real agent on the same socket, which must receive the same events (same
ids). And the drop count of a full queue reaches the agent in the hello and an agent.stats event."""
import os
import shutil
import socket
import tempfile
import threading
import unittest

from sidewatch.codec import decode_frame, encode_message
from sidewatch.config import read_config
from sidewatch.envelope import Identity
from sidewatch.events import stats_event
from sidewatch.frame_decoder import FrameDecoder
from sidewatch.reporter import Reporter
from tests.agent_process import Agent, TOKEN, wait_for


class DyingAgent(object):
    """Answers the hello, reads one events message, and closes without acknowledging it."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.received = []
        self.hello = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        decoder = FrameDecoder()
        with conn:
            while not self.received:
                data = conn.recv(65536)
                if not data:
                    return
                for frame in decoder.push(data):
                    message = decode_frame(frame)
                    if message['type'] == 'hello':
                        self.hello = message
                        conn.sendall(encode_message({'type': 'welcome', 'version': '1.0', 'agent_version': 'test',
                                                     'session_id': 's', 'config': {'mode': 'monitor'}}))
                    elif message['type'] == 'events':
                        self.received.append(message)

    def close(self):
        self.sock.close()


def event(identity, n):
    e = stats_event(identity, n)
    e['stats'] = {'component': 'resend-test', 'counters': {'n': n}}
    return e


class ResendTest(unittest.TestCase):
    def test_a_batch_without_ack_is_sent_again_to_the_next_agent(self):
        directory = tempfile.mkdtemp(prefix='sidewatch-py-resend-')
        path = os.path.join(directory, 'agent.sock')
        dying = DyingAgent(path)
        config, _ = read_config({'agent': 'unix:%s' % path, 'token': TOKEN, 'reconnect_min_ms': 20,
                                 'reconnect_max_ms': 100, 'flush_interval_ms': 10, 'service': 'resend'}, {})
        identity = Identity('resend', {'name': 'python', 'version': '3'}, os.getpid())
        reporter = Reporter(config, identity)
        agent = None
        try:
            sent = [event(identity, n) for n in range(3)]
            for e in sent:
                reporter.enqueue(e)
            wait_for('the dying agent to take the batch', lambda: dying.received or None)
            self.assertEqual([e['id'] for e in dying.received[0]['events']], [e['id'] for e in sent])
            dying.thread.join(5)
            dying.close()
            os.unlink(path)
            agent = Agent(directory)
            wait_for('the same events at the real agent', lambda: True if set(e['id'] for e in sent) <= set(
                e['id'] for e in agent.events()) else None)
            wait_for('the acks', lambda: True if reporter.stats()['acked'] == 3 else None)
            self.assertEqual(reporter.stats()['sent'], 6)  # each event twice: at least once
        finally:
            reporter.stop()
            dying.close()
            if agent is not None:
                agent.cleanup()
            shutil.rmtree(directory, ignore_errors=True)

    def test_drops_are_counted_in_the_hello_and_an_agent_stats_event_until_acknowledged(self):
        directory = tempfile.mkdtemp(prefix='sidewatch-py-drops-')
        path = os.path.join(directory, 'agent.sock')
        config, _ = read_config({'agent': 'unix:%s' % path, 'token': TOKEN, 'reconnect_min_ms': 20,
                                 'reconnect_max_ms': 50, 'queue_size': 4, 'service': 'drops'}, {})
        identity = Identity('drops', {'name': 'python', 'version': '3'}, os.getpid())
        reporter = Reporter(config, identity)
        dying = agent = None
        try:
            kept = []
            for n in range(10):
                e = event(identity, n)
                kept = (kept + [e['id']])[-4:]
                reporter.enqueue(e)
            self.assertEqual(reporter.stats()['dropped'], 6)
            dying = DyingAgent(path)
            wait_for('the first agent to take a batch', lambda: dying.received or None)
            self.assertEqual(dying.hello['dropped'], 6)
            first = dying.received[0]['events']
            self.assertEqual([(e['kind'], e['stats']) for e in first],
                             [('agent.stats', {'component': 'sdk', 'counters': {'dropped_events': 6}})])
            dying.thread.join(5)
            dying.close()
            os.unlink(path)
            # The report was never acknowledged: the next agent hears it again, with the 4 kept events.
            agent = Agent(directory)
            stats = agent.wait_event('the drop report', lambda e: e['kind'] == 'agent.stats' and e['stats']['component'] == 'sdk')
            self.assertEqual(stats['stats']['counters']['dropped_events'], 6)
            wait_for('the 4 kept events', lambda: True if set(kept) <= set(e['id'] for e in agent.events()) else None)
        finally:
            reporter.stop()
            if dying is not None:
                dying.close()
            if agent is not None:
                agent.cleanup()
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
