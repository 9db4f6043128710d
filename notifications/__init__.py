"""Reminder e-mail: render a message from a template, then hand it to a transport.

    render.render_email(template, context, …) -> RenderedEmail     (RenderError on a bad template)
        .sender, .recipients, .message_id, .message (an EmailMessage view), and the bytes:
        .eight_bit (text parts 8bit, for 8BITMIME servers), .seven_bit (base64, for any server)
    transport.make_transport(MailConfig) -> Transport             (SMTP, or .eml files in <home>/outbox)
    await transport.send(rendered) -> SendResult                   (TransportError, ``permanent`` flag)
                                                                   (SMTP picks the form by the EHLO reply)

Addresses are parsed strictly in one place (``addresses.parse_address``); a malformed one is a
permanent delivery failure of its row.
"""

from notifications.addresses import parse_address
from notifications.render import RenderedEmail, render_email
from notifications.transport import (
    FileSinkTransport,
    SendResult,
    SmtpTransport,
    Transport,
    make_transport,
)

__all__ = [
    "FileSinkTransport",
    "RenderedEmail",
    "SendResult",
    "SmtpTransport",
    "Transport",
    "make_transport",
    "parse_address",
    "render_email",
]
