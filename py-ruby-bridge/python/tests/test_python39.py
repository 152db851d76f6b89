"""The bridge runs on Python 3.9: the pure tests (protocol vectors, detectors and corpus, config)
run again in a Python 3.9 interpreter when the machine has one (pyenv's, or python3.9 on PATH)."""
import glob
import os
import shutil
import subprocess
import unittest

from tests.app_process import BRIDGE


def python39():
    """A real 3.9 binary: pyenv's own (its shim on PATH fails when 3.9 is not selected), else PATH's."""
    candidates = sorted(glob.glob(os.path.expanduser('~/.pyenv/versions/3.9*/bin/python3.9')))
    if candidates:
        return candidates[-1]
    found = shutil.which('python3.9')
    return found if found and '/shims/' not in found else None


class Python39Test(unittest.TestCase):
    def test_the_pure_tests_pass_on_python_3_9(self):
        python = python39()
        if python is None:
            self.skipTest('no Python 3.9 on this machine')
        done = subprocess.run([python, '-m', 'unittest', 'tests.test_protocol_vectors', 'tests.test_detectors_corpus',
                               'tests.test_config'], cwd=BRIDGE, capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        self.assertIn('OK', done.stderr)


if __name__ == '__main__':
    unittest.main()
