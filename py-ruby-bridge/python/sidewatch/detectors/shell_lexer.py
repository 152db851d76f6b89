"""A small POSIX shell lexer: enough of `sh -c` parsing to tell, for each character of a command
line, whether the shell reads it as data or as syntax. It runs and expands nothing; it marks
operators, expansions, quote delimiters, escapes, word separators and comments, and lists the
words with whether each stands where the shell expects a command name.

Not modelled (their characters count as data): here-documents, `case` patterns, arithmetic
`$(( ))` beyond its `$(`, bash's `$'...'`, globs, brace and tilde expansion."""

DATA = 0
OPERATOR = 1     # ; & | ( ) < > and newline outside quotes
EXPANSION = 2    # the $ of $( ${ $NAME, and backticks (inside double quotes too)
QUOTE = 3        # an opening or closing ' or "
ESCAPE = 4       # a backslash that escapes the next character
SEPARATOR = 5    # blank outside quotes: ends a word
COMMENT = 6      # '#' starting a comment

COMMAND_SEPARATORS = ';&|()\n'
OPERATORS = ';&|()<>\n'


class ShellWord(object):
    __slots__ = ('start', 'end', 'command')

    def __init__(self, start, end, command):
        self.start = start
        self.end = end
        self.command = command


class ShellSyntax(object):
    __slots__ = ('kinds', 'partners', 'words')

    def __init__(self, length):
        self.kinds = bytearray(length)
        # For each quote delimiter, the index of its partner; -1 for an unterminated quote.
        self.partners = {}
        self.words = []


def lex_shell(line):
    syntax = ShellSyntax(len(line))
    word_start = -1
    command_next = True
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == ' ' or c == '\t' or c in OPERATORS:
            if word_start != -1:
                syntax.words.append(ShellWord(word_start, i, command_next))
                command_next = False
                word_start = -1
            syntax.kinds[i] = SEPARATOR if c == ' ' or c == '\t' else OPERATOR
            if c in COMMAND_SEPARATORS:
                command_next = True
            i += 1
            continue
        if c == '#' and word_start == -1:
            syntax.kinds[i] = COMMENT
            end = line.find('\n', i)
            i = n if end == -1 else end
            continue
        if word_start == -1:
            word_start = i
        i = _lex_word_char(syntax, line, i)
    if word_start != -1:
        syntax.words.append(ShellWord(word_start, n, command_next))
    return syntax


def _lex_word_char(syntax, line, i):
    c = line[i]
    if c == '\\':
        syntax.kinds[i] = ESCAPE
        return i + 2
    if c == "'":
        return _lex_single_quoted(syntax, line, i)
    if c == '"':
        return _lex_double_quoted(syntax, line, i)
    if _is_expansion(line, i):
        syntax.kinds[i] = EXPANSION
    return i + 1


def _lex_single_quoted(syntax, line, open_at):
    close = line.find("'", open_at + 1)
    syntax.kinds[open_at] = QUOTE
    syntax.partners[open_at] = close
    if close == -1:
        return len(line)
    syntax.kinds[close] = QUOTE
    syntax.partners[close] = open_at
    return close + 1


def _lex_double_quoted(syntax, line, open_at):
    syntax.kinds[open_at] = QUOTE
    i = open_at + 1
    n = len(line)
    while i < n:
        c = line[i]
        if c == '"':
            syntax.kinds[i] = QUOTE
            syntax.partners[open_at] = i
            syntax.partners[i] = open_at
            return i + 1
        nxt = line[i + 1] if i + 1 < n else ' '
        if c == '\\' and nxt in '$`"\\\n':
            syntax.kinds[i] = ESCAPE
            i += 2
            continue
        if _is_expansion(line, i):
            syntax.kinds[i] = EXPANSION
        i += 1
    syntax.partners[open_at] = -1
    return n


def _is_expansion(line, i):
    """A backtick, or a `$` the shell expands: `$(`, `${`, `$NAME`. `$5` or a lone `$` stay data."""
    c = line[i]
    if c == '`':
        return True
    if c != '$' or i + 1 >= len(line):
        return False
    n = line[i + 1]
    return n == '(' or n == '{' or n == '_' or ('A' <= n <= 'Z') or ('a' <= n <= 'z')
