"""Shell injection: a request input reached a command line that a shell will parse, and the part
of the line that came from the input is shell syntax rather than data: it adds an operator, an
expansion, a comment, breaks out of the app's quotes, splits into more words, or is the command
itself. An input the app quoted properly (shlex.quote) is data everywhere and does not fire."""
import json

from .decoded_values import input_values
from .finding import Finding
from . import shell_lexer as L


def detect_shell_injection(command_line, inputs):
    syntax = None
    for input in inputs:
        for value in input_values(input):
            # The fast path: most inputs never occur in the command, and then there is nothing to lex.
            if not value or value not in command_line:
                continue
            if syntax is None:
                syntax = L.lex_shell(command_line)
            reason = _injected_syntax(syntax, command_line, value)
            if reason is not None:
                return Finding('shell_injection', input, command_line, reason)
    return None


def _injected_syntax(syntax, line, value):
    """Every occurrence counts: the app's own text may hold the same characters as the input."""
    at = line.find(value)
    while at != -1:
        end = at + len(value)
        reason = _syntax_in_span(syntax, line, at, end) or _word_change(syntax, at, end)
        if reason is not None:
            return reason
        at = line.find(value, at + 1)
    return None


def _syntax_in_span(syntax, line, start, end):
    kinds = syntax.kinds
    for i in range(start, end):
        kind = kinds[i]
        if kind == L.OPERATOR:
            return 'input adds the shell operator %s' % json.dumps(line[i])
        if kind == L.EXPANSION:
            return 'input adds a shell expansion or command substitution'
        if kind == L.COMMENT:
            return 'input starts a shell comment'
        if kind == L.QUOTE:
            # A quote pair wholly inside the input only quotes the input's own text: harmless.
            partner = syntax.partners.get(i, -1)
            if partner < start or partner >= end:
                return 'input opens or closes a quote of the command line'
        elif kind == L.ESCAPE and i + 1 >= end:
            return 'input ends with a backslash that escapes the command line after it'
    return None


def _word_change(syntax, start, end):
    overlapping = 0
    for word in syntax.words:
        if word.start >= end:
            break
        if word.end <= start:
            continue
        overlapping += 1
        if overlapping > 1:
            return 'input splits into several shell words'
        if word.command and start <= word.start and end >= word.end:
            return 'input is the command the shell runs'
    return None
