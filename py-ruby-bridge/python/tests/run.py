"""The test runner behind ./run-tests: discovers tests/test_*.py, streams one line per test and
every failure in full, and ends with the summary line `# bridge: passed=N failed=N skipped=N`
(a test with failing subtests counts once, as failed)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = {}

    def _mark(self, test, outcome):
        key = test.id()
        if self.outcomes.get(key) != 'failed':
            self.outcomes[key] = outcome

    def addSuccess(self, test):
        super().addSuccess(test)
        self._mark(test, 'passed')

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._mark(test, 'failed')

    def addError(self, test, err):
        super().addError(test, err)
        self._mark(test, 'failed')

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._mark(test, 'skipped')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcomes[test.id()] = 'failed'


def main(patterns):
    sys.path.insert(0, ROOT)
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ['*%s*' % p for p in patterns]
    suite = loader.discover(HERE, pattern='test_*.py', top_level_dir=ROOT)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    for outcome in result.outcomes.values():
        counts[outcome] += 1
    # Errors outside any test (a module that does not import, setUpClass) count as failures.
    for test, _ in result.errors:
        if test.id() not in result.outcomes:
            counts['failed'] += 1
    # TAP-style lines for what failed, so scripts/run-tests.mjs shows them on the console.
    for test, trace in result.failures + result.errors:
        print('not ok - %s' % test.id())
        for line in trace.rstrip().split('\n'):
            print('    ' + line)
    sys.stdout.flush()
    print('# bridge: passed=%(passed)d failed=%(failed)d skipped=%(skipped)d' % counts)
    return 0 if counts['failed'] == 0 and result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
