"""The audit-hook instrumentation: audit.py installs one sys.addaudithook dispatcher; the other
modules turn an audit event's arguments into a described call (process, file, outbound)."""
