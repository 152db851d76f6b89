"""The bridge's configuration: start(**options) first, then the SIDEWATCH_* environment variables
node-asm reads (packages/node-asm/src/config.ts), then defaults. A bad value never raises: it is
named in a problem sentence (printed once as SW_ERR_CONFIG) and the default is used."""
import os
import re
import sys

from .address import parse_agent_address

DEFAULT_AGENT = 'tcp://127.0.0.1:7878'
_TRUE = re.compile(r'(1|true|yes|on)', re.I)
_FALSE = re.compile(r'(0|false|no|off|)', re.I)
_DIGITS = re.compile(r'\s*[0-9]+\s*')

# Integer settings: key, environment variable (None: option only), default, minimum, maximum.
INTEGERS = (
    ('summary_interval_ms', 'SIDEWATCH_SUMMARY_INTERVAL_MS', 10000, 100, 3600000),
    ('queue_size', 'SIDEWATCH_QUEUE_SIZE', 10000, 1, 1000000),
    ('batch_events', 'SIDEWATCH_BATCH_SIZE', 256, 1, 10000),
    ('batch_bytes', 'SIDEWATCH_BATCH_BYTES', 256 * 1024, 1024, 900 * 1024),
    ('flush_interval_ms', 'SIDEWATCH_FLUSH_INTERVAL_MS', 200, 1, 60000),
    ('flush_timeout_ms', 'SIDEWATCH_FLUSH_TIMEOUT_MS', 2000, 0, 60000),
    ('handshake_timeout_ms', None, 5000, 10, 60000),
    ('reconnect_min_ms', None, 100, 1, 60000),
    ('reconnect_max_ms', None, 10000, 1, 600000),
    ('max_inflight_batches', None, 8, 1, 1000),
)


class Config(object):
    """Attributes: disabled, agent (AgentAddress), token, service, mode, mode_pinned, http_events,
    redact (list), and the integer settings of INTEGERS."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def read_config(options=None, env=None):
    """(Config, problems): one sentence per bad setting, naming it, its value and what is used."""
    options = options or {}
    env = os.environ if env is None else env
    problems = []

    disabled_text = env.get('SIDEWATCH_DISABLED', '').strip()
    disabled = options.get('disabled')
    if disabled is None:
        disabled = _TRUE.fullmatch(disabled_text) is not None
        if not disabled and _FALSE.fullmatch(disabled_text) is None:
            problems.append('SIDEWATCH_DISABLED=%s is not 1/true/yes/on or 0/false/no/off; using enabled' % _q(disabled_text))

    agent_text = options.get('agent') or env.get('SIDEWATCH_AGENT') or DEFAULT_AGENT
    agent, error = parse_agent_address(agent_text)
    if agent is None:
        problems.append('SIDEWATCH_AGENT=%s %s; using %s' % (_q(agent_text), error, DEFAULT_AGENT))
        agent, _ = parse_agent_address(DEFAULT_AGENT)

    mode_text = options.get('mode', env.get('SIDEWATCH_MODE'))
    mode, mode_pinned = 'monitor', False
    if mode_text in ('monitor', 'block'):
        mode, mode_pinned = mode_text, True
    elif mode_text is not None:
        problems.append('SIDEWATCH_MODE=%s is not monitor or block; using monitor' % _q(mode_text))

    service = options.get('service', env.get('SIDEWATCH_SERVICE'))
    if service is not None and not (1 <= len(service) <= 256):
        problems.append('SIDEWATCH_SERVICE must be 1-256 characters (got %d); using the default name' % len(service))
        service = None

    http_events = options.get('http_events', env.get('SIDEWATCH_HTTP_EVENTS', 'security'))
    if http_events not in ('security', 'all'):
        problems.append('SIDEWATCH_HTTP_EVENTS=%s is not security or all; using security' % _q(http_events))
        http_events = 'security'

    redact = options.get('redact')
    if redact is None:
        redact = [n.strip() for n in env.get('SIDEWATCH_REDACT', '').split(',') if n.strip()]
    token = options.get('token', env.get('SIDEWATCH_TOKEN') or None)

    ints = {}
    for spec in INTEGERS:
        ints[spec[0]] = _read_integer(spec, options.get(spec[0]), env, problems)
    if ints['reconnect_max_ms'] < ints['reconnect_min_ms']:
        ints['reconnect_max_ms'] = ints['reconnect_min_ms']

    config = Config(disabled=disabled, agent=agent, token=token, service=service or default_service_name(),
                    mode=mode, mode_pinned=mode_pinned, http_events=http_events, redact=redact, **ints)
    return config, problems


def default_service_name():
    """The script's name without `.py` (`app` for `python app.py`), else `python`."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ''
    name = os.path.basename(argv0)
    if name.endswith('.py'):
        name = name[:-3]
    if name in ('', '-c', '-m', '__main__'):
        return 'python'
    return name[:256]


def _read_integer(spec, option, env, problems):
    key, var, default, lo, hi = spec
    if option is not None:
        value, setting = option, '%s=%r' % (key, option)
        ok = isinstance(option, int) and not isinstance(option, bool)
    else:
        text = env.get(var) if var is not None else None
        if text is None or text == '':
            return default
        ok = _DIGITS.fullmatch(text) is not None
        value, setting = (int(text) if ok else None), '%s=%s' % (var, _q(text))
    if not ok or value < lo or value > hi:
        problems.append('%s is not an integer from %d to %d; using %d' % (setting, lo, hi, default))
        return default
    return value


def _q(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')
