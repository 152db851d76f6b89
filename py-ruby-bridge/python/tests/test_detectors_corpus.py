"""The node-asm attack corpus through the Python detectors: every attack found with its class and
input, no benign case found; prints detection and false-positive rates per class."""
import posixpath
import sys
import unittest

from sidewatch.detectors import (RequestInput, detect_command_injection, detect_path_traversal,
                                 detect_shell_injection, detect_ssrf)
from tests import corpus

# Every request carries other inputs; they come first so that a decoy firing shows up as the wrong input.
DECOYS = (('headers.accept', '*/*', 'headers'), ('query.page', '1', 'query'))


def run(case):
    inputs = [RequestInput(*d) for d in DECOYS]
    i = case['input']
    inputs.append(RequestInput(i['name'], i['value'], i['source']))
    arg = corpus.sink_argument(case)
    sink = case['sink']
    if sink == 'exec':
        return detect_shell_injection(arg, inputs)
    if sink == 'execFile':
        return detect_command_injection(arg[0], arg[1:], inputs)
    if sink == 'fs':
        path, op = arg
        return detect_path_traversal(path, posixpath.normpath(posixpath.join(corpus.CWD, path)), inputs, op)
    return detect_ssrf(arg, inputs)


class DetectorCorpusTest(unittest.TestCase):
    rates = corpus.Rates()

    @classmethod
    def tearDownClass(cls):
        sys.stdout.write('\n' + cls.rates.table('# corpus through the Python detectors') + '\n')

    def test_every_attack_is_found_with_its_class_and_input(self):
        for case in corpus.load('attacks'):
            with self.subTest(case['id']):
                finding = run(case)
                ok = finding is not None and finding.klass == case['class'] and finding.input.name == case['input']['name']
                self.rates.attack(case['class'], ok)
                self.assertTrue(ok, '%s: %s (found %r)' % (case['id'], case['comment'], finding))

    def test_no_benign_case_is_found(self):
        for case in corpus.load('benign'):
            with self.subTest(case['id']):
                finding = run(case)
                self.rates.benign(case['class'], finding is not None)
                self.assertIsNone(finding, '%s: %s' % (case['id'], case['comment']))

    def test_corpus_size(self):
        attacks, benign = corpus.load('attacks'), corpus.load('benign')
        self.assertGreaterEqual(len(attacks), 120)
        self.assertGreaterEqual(len(benign), 120)
        for k in corpus.CLASSES:
            self.assertGreaterEqual(sum(1 for c in attacks if c['class'] == k), 30, k)


if __name__ == '__main__':
    unittest.main()
