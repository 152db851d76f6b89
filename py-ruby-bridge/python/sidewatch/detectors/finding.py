"""What a detector reports: which request input reached which sink and how it changed the
sink's meaning. Detectors are pure functions of (sink argument, request inputs); they never raise
and never block by themselves: the caller decides whether to report or stop the call."""


class RequestInput(object):
    """One value the request carried: `name` is dotted (`query.host`, `body.user.email`),
    `source` one of query, body, params, headers, cookies, path."""

    __slots__ = ('name', 'value', 'source', 'decoded')

    def __init__(self, name, value, source):
        self.name = name
        self.value = value
        self.source = source
        # The percent-decoded forms, computed once per input (decoded_values.input_values).
        self.decoded = None

    def __repr__(self):
        return 'RequestInput(%r, %r, %r)' % (self.name, self.value, self.source)


class Finding(object):
    """`klass` is the attack class: shell_injection, command_injection, path_traversal, ssrf."""

    __slots__ = ('klass', 'input', 'target', 'reason')

    def __init__(self, klass, input, target, reason):
        self.klass = klass
        self.input = input
        self.target = target
        self.reason = reason

    def __repr__(self):
        return 'Finding(%s, %r, %r, %r)' % (self.klass, self.input, self.target, self.reason)
