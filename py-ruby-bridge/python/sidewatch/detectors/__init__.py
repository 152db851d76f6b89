"""The attack detectors, ported from node-asm (packages/node-asm/src/detectors): pure functions of
a sink argument and the current request's inputs that make the same decisions."""
from .command_injection import detect_command_injection
from .finding import Finding, RequestInput
from .ip_address import classify_destination
from .path_traversal import detect_path_traversal
from .sensitive_paths import is_sensitive_path
from .shell_binary import is_shell_binary
from .shell_injection import detect_shell_injection
from .ssrf import detect_ssrf

__all__ = ['detect_command_injection', 'detect_path_traversal', 'detect_shell_injection', 'detect_ssrf',
           'classify_destination', 'is_sensitive_path', 'is_shell_binary', 'Finding', 'RequestInput']
