"""`python -m sidewatch.run app.py [args]` or `python -m sidewatch.run -m package [args]`: starts the
bridge, then runs the program as `python app.py [args]` would (as __main__, with sys.argv[0] the
script), so the audit hook sees everything it does from its first line."""
import os
import runpy
import sys

from .runtime import start

USAGE = 'usage: python -m sidewatch.run SCRIPT [ARGS...] | -m MODULE [ARGS...]'


def main(argv):
    if not argv or argv[0] in ('-h', '--help'):
        sys.stderr.write(USAGE + '\n')
        return 2
    if argv[0] == '-m':
        if len(argv) < 2:
            sys.stderr.write(USAGE + '\n')
            return 2
        sys.argv = argv[1:]
        start()
        runpy.run_module(argv[1], run_name='__main__', alter_sys=True)
        return 0
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
    start()
    runpy.run_path(argv[0], run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
