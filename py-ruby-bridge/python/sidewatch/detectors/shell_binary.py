"""Which executables are shells or script interpreters, decided by basename so that `/bin/sh`,
`/usr/bin/bash` and a bare `bash` looked up on PATH all count."""

SHELLS = frozenset(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'csh', 'tcsh', 'fish',
                    # busybox runs any applet, `sh` included: `busybox sh -c ...` is a shell.
                    'busybox'])

INTERPRETERS = frozenset(['node', 'nodejs', 'python', 'python2', 'python3', 'perl', 'ruby', 'php',
                          'lua', 'deno', 'bun', 'osascript', 'awk', 'gawk'])

# The flags after which these programs take code to run.
CODE_FLAGS = frozenset(['-c', '-e', '--eval', '-r', '-p', '--print'])


def basename(file):
    return file[file.rfind('/') + 1:]


def is_shell_binary(file):
    return basename(file) in SHELLS


def is_interpreter(file):
    """A shell, or a script interpreter with a version suffix (`python3.11`, `perl5.36`)."""
    name = basename(file)
    if name in SHELLS or name in INTERPRETERS:
        return True
    end = len(name)
    while end > 0 and (name[end - 1] == '.' or '0' <= name[end - 1] <= '9'):
        end -= 1
    return end < len(name) and name[:end] in INTERPRETERS
