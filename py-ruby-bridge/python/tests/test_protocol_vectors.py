"""The shared protocol vectors (packages/proto/vectors/frames.json) through the Python decoder,
exactly as their `description` says: valid cases decode to `decoded` and, unless gzip or
noncanonical, re-encode message by message to exactly `hex`; invalid cases give the named error
code and field (and `accepted` for a batch with a bad event)."""
import json
import os
import unittest

from sidewatch.codec import decode_frame, encode_message
from sidewatch.errors import ProtocolError
from sidewatch.event_validator import SCHEMA_FILE, validate_event
from sidewatch.frame_decoder import FrameDecoder
from sidewatch.messages import check_message
from tests.corpus import REPO

VECTORS = os.path.join(REPO, 'packages', 'proto', 'vectors', 'frames.json')


def chunks_of(case):
    data = bytes.fromhex(case['hex'])
    chunks = case.get('chunks')
    if chunks == 'bytewise':
        return [data[i:i + 1] for i in range(len(data))]
    cuts = [0] + list(chunks or []) + [len(data)]
    return [data[cuts[i]:cuts[i + 1]] for i in range(len(cuts) - 1)]


def run_case(case):
    """(decoded messages, [(code, field)], accepted), like packages/proto/test/vector-harness.ts."""
    decoder = FrameDecoder(case.get('max_frame_size'))
    decoded, errors = [], []
    state = {'accepted': None, 'stopped': False}

    def on_frame(frame):
        if state['stopped']:
            return
        try:
            message = decode_frame(frame, decoder.max_frame_size)
            check_message(message)
            if message['type'] == 'events':
                issues = [validate_event(e) for e in message['events']]
                bad = [i for i, issue in enumerate(issues) if issue is not None]
                if bad:
                    errors.append(('SW_ERR_INVALID_EVENT', '/events/%d%s' % (bad[0], issues[bad[0]][0])))
                    state['accepted'] = sum(1 for issue in issues if issue is None)
                    return
            decoded.append(message)
        except ProtocolError as err:
            errors.append((err.code, err.field))
            state['stopped'] = err.fatal

    for chunk in chunks_of(case):
        try:
            frames = decoder.push(chunk)
        except ProtocolError as err:
            for frame in getattr(err, 'frames_before_error', []):
                on_frame(frame)
            errors.append((err.code, err.field))
            return decoded, errors, state['accepted']
        for frame in frames:
            on_frame(frame)
        if state['stopped']:
            return decoded, errors, state['accepted']
    try:
        decoder.end()
    except ProtocolError as err:
        errors.append((err.code, err.field))
    return decoded, errors, state['accepted']


class ProtocolVectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(VECTORS, encoding='utf-8') as f:
            cls.vectors = json.load(f)

    def test_the_file_is_whole(self):
        self.assertEqual(self.vectors['version'], '1.0')
        self.assertEqual(len(self.vectors['cases']), self.vectors['number_of_tests'])
        self.assertGreater(len(self.vectors['cases']), 80)

    def test_valid_cases_decode_and_reencode_byte_for_byte(self):
        reencoded = 0
        for case in self.vectors['cases']:
            if case['result'] != 'valid':
                continue
            with self.subTest(id=case['id'], comment=case['comment']):
                decoded, errors, _ = run_case(case)
                self.assertEqual(errors, [])
                self.assertEqual(decoded, case['decoded'])
                if 'gzip' not in case['flags'] and 'noncanonical' not in case['flags']:
                    encoded = b''.join(encode_message(m) for m in decoded)
                    self.assertEqual(encoded.hex(), case['hex'])
                    reencoded += 1
        self.assertGreaterEqual(reencoded, 30)

    def test_invalid_cases_are_rejected_with_the_named_code_and_field(self):
        for case in self.vectors['cases']:
            if case['result'] != 'invalid':
                continue
            with self.subTest(id=case['id'], comment=case['comment']):
                decoded, errors, accepted = run_case(case)
                self.assertTrue(errors, 'no error')
                code, field = errors[0]
                self.assertEqual(code, case['error'])
                if 'field' in case:
                    self.assertEqual(field, case['field'])
                if 'accepted' in case:
                    self.assertEqual(accepted, case['accepted'])
                self.assertEqual(decoded, case['decoded'])

    def test_the_shipped_schema_is_the_protocol_schema(self):
        with open(SCHEMA_FILE, 'rb') as shipped, open(os.path.join(REPO, 'packages', 'proto', 'event-schema.json'), 'rb') as proto:
            self.assertEqual(shipped.read(), proto.read(), 'copy packages/proto/event-schema.json to sidewatch/event_schema.json')


if __name__ == '__main__':
    unittest.main()
