"""Syslog: RFC 5424 (+ CEF) lines of events over UDP, TCP and TLS, from the shared outbox."""

from smartpdu.integrations.syslog.channel import SyslogChannel
from smartpdu.integrations.syslog.format import cef_line, frame_octet_counted, rfc5424_line
from smartpdu.integrations.syslog.sender import SyslogSender

__all__ = ["SyslogChannel", "SyslogSender", "cef_line", "frame_octet_counted", "rfc5424_line"]
