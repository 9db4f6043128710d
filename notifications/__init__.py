"""Reminder e-mail: render a message from a template, then hand it to a transport.

    render.render_email(template, context, …) -> EmailMessage      (RenderError on a bad template)
    transport.make_transport(settings) -> Transport                (SMTP, or .eml files in <home>/outbox)
    await transport.send(message) -> SendResult                    (TransportError, ``permanent`` flag)

Addresses are parsed strictly in one place (``addresses.parse_address``); a malformed one is a
permanent delivery failure of its row.
"""

from notifications.addresses import parse_address
from notifications.render import render_email
from notifications.transport import (
    FileSinkTransport,
    SendResult,
    SmtpTransport,
    Transport,
    make_transport,
)

__all__ = [
    "FileSinkTransport",
    "SendResult",
    "SmtpTransport",
    "Transport",
    "make_transport",
    "parse_address",
    "render_email",
]
