"""Command injection without a shell (Popen with a list, os.exec*, os.posix_spawn): the arguments
reach the program as they are, so an input cannot add operators, but it can still choose the
program, smuggle an option (`--upload-pack=...`, `-oProxyCommand=...`), or hand an interpreter
code to run. When the program is itself a shell given `-c`, its script is checked as a shell
command line."""
import re

from .decoded_values import input_values
from .finding import Finding
from .shell_binary import CODE_FLAGS, is_interpreter, is_shell_binary
from .shell_injection import detect_shell_injection

# Negative numbers are the usual legitimate arguments that start with `-`; `-` alone is stdin.
_NEGATIVE_NUMBER = re.compile(r'-[0-9]+(?:\.[0-9]+)?')
_INERT = frozenset('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -._@')


def detect_command_injection(file, args, inputs):
    script = _shell_script(file, args)
    if script is not None:
        finding = detect_shell_injection(script, inputs)
        if finding is not None:
            return Finding(finding.klass, finding.input, '%s -c %s' % (file, script), finding.reason)
    for input in inputs:
        for value in input_values(input):
            if not value:
                continue
            # Header values (User-Agent: curl, python-requests) name programs by coincidence all
            # the time: they are judged for smuggled options and code, not for choosing the program.
            reason = None if input.source == 'headers' else _program_choice(file, value)
            if reason is None:
                reason = _injected_argument(file, args, value)
            if reason is not None:
                return Finding('command_injection', input, ' '.join([file] + list(args)), reason)
    return None


def _shell_script(file, args):
    """The script a shell will run: the argument after `-c` (`sh -c script`, `bash -lc script`)."""
    if not is_shell_binary(file):
        return None
    for i, a in enumerate(args):
        if a == '-c' or (len(a) > 2 and a[0] == '-' and a[1] != '-' and a.endswith('c')):
            return args[i + 1] if i + 1 < len(args) else None
    return None


def _program_choice(file, value):
    if file == value:
        return 'input is the program being run'
    if not file.endswith(value):
        return None
    at = len(file) - len(value) - 1
    before = file[at] if at >= 0 else None
    if before == '/' or '/' in value:
        return 'input chooses the program being run'
    return None


def _injected_argument(file, args, value):
    options_ended = False
    for i, arg in enumerate(args):
        if arg == '--':
            options_ended = True
        if arg == value and not options_ended and value[0] == '-' and value != '-' and _NEGATIVE_NUMBER.fullmatch(value) is None:
            return 'input is a whole argument that the program reads as an option'
        if value in arg and _runs_interpreter_code(value):
            return 'input holds an interpreter and the code it runs'
        # A shell's script was checked by the shell analysis, which knows quoting; other code was not.
        if (i > 0 and args[i - 1] in CODE_FLAGS and not is_shell_binary(file) and is_interpreter(file)
                and value in arg and not _is_inert_code(value)):
            return 'input is part of the code an interpreter runs'
    return None


def _runs_interpreter_code(value):
    """`sh -c id`, `/usr/bin/python3 -c ...`: the input names an interpreter, then a code flag."""
    if ' -' not in value:
        return False
    words = value.split()
    return len(words) >= 3 and is_interpreter(words[0]) and words[1] in CODE_FLAGS


def _is_inert_code(value):
    """Plain words and numbers inside code do not change what it does (`print(len("abc"))`)."""
    for c in value:
        if c not in _INERT:
            return False
    return True
