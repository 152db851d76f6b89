"""Short programs with the bridge for the client tests: `python scenarios.py NAME`. Each prints
what the test checks on stdout and exits."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import sidewatch  # noqa: E402


def read_secret():
    with open('/proc/self/environ', 'rb') as f:
        f.read(1)


def sensitive():
    read_secret()
    print('pid %d' % os.getpid(), flush=True)


def fork():
    read_secret()                 # queued, not yet sent (long flush interval)
    pid = os.fork()
    if pid == 0:
        read_secret()
        print('child %d' % os.getpid(), flush=True)
        sys.exit(0)               # a normal exit: the child's own exit flush runs
    os.waitpid(pid, 0)
    read_secret()
    print('parent %d' % os.getpid(), flush=True)


def broken_hook():
    bridge = sidewatch.start()

    def broken(call):
        raise RuntimeError('a bug in the bridge')
    bridge.guard.process = broken
    for _ in range(3):
        subprocess.run(['true'], check=True)
    print('ran %d' % sidewatch.stats()['internal_errors'], flush=True)


def disabled():
    bridge = sidewatch.start()
    read_secret()
    print('enabled %s queued %d' % (bridge.enabled, sidewatch.stats()['queued']), flush=True)


def idle():
    started = time.monotonic()
    read_secret()
    print('started %.3f' % started, flush=True)


if __name__ == '__main__':
    sidewatch.start()
    globals()[sys.argv[1]]()
