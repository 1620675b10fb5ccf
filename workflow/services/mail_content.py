"""What a mail of the outbox holds: plain text, or a multipart message (plain text and HTML, and
attachments such as a calendar event) kept as its MIME source in the same `body` column.

The HTML is rendered from a template with autoescaping, without remote images, scripts or styles
sheets: inline styles and simple tables, as Outlook shows them. Everything is written as 7-bit
(quoted-printable), so the stored source is ASCII and the sender sends it unchanged.
"""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from flask import current_app
from flask_babel import get_locale, gettext

MIME_START = "MIME-Version: 1.0\n"  # how a stored MIME source begins (a plain text body never does)


@dataclass(frozen=True)
class Attachment:
    data: str | bytes  # text (a calendar file) or bytes (a PDF)
    subtype: str  # of text/… or, for bytes, of application/…
    filename: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RichMail:
    """What turns a notification's mail into a multipart one: the button it leads to, a few facts
    in a small table, attachments."""

    action_label: str
    action_url: str
    facts: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()


def plain_text(name: str, body: str, rich: RichMail, footer: str) -> str:
    lines = [gettext("Guten Tag %(name)s,", name=name), "", body]
    if rich.facts:
        lines += [""] + [f"{label}: {value}" for label, value in rich.facts]
    lines += ["", f"{rich.action_label}: {rich.action_url}"]
    return "\n".join(lines) + footer


def html(name: str, subject: str, body: str, rich: RichMail, alliance: str) -> str:
    """In the language being forced (the recipient's): its own sentences through gettext."""
    # The app's Jinja environment without its context processors: mails are made outside requests
    # too (`tick`), and need nothing of one.
    return current_app.jinja_env.get_template("mail/notification.html").render(
        name=name,
        subject=subject,
        paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
        rich=rich,
        alliance=alliance,
        language=str(get_locale() or "de"),
    )


def compose(text: str, html_text: str, attachments: tuple[Attachment, ...] = ()) -> str:
    """The MIME source of a multipart mail without its envelope headers (From, To, Subject and
    Message-ID are set when it is sent)."""
    message = EmailMessage()
    message["MIME-Version"] = "1.0"  # first: MIME_START recognises the stored source by it
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html_text, subtype="html", cte="quoted-printable")
    for attachment in attachments:
        if isinstance(attachment.data, bytes):  # base64, as every mail client expects a PDF
            message.add_attachment(
                attachment.data,
                maintype="application",
                subtype=attachment.subtype,
                filename=attachment.filename,
            )
            continue
        message.add_attachment(
            attachment.data,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=attachment.params,
            cte="quoted-printable",
        )
    return message.as_string()


def message_of(body: str) -> EmailMessage:
    """The message a stored body stands for: its MIME source parsed, or plain text."""
    if body.startswith(MIME_START):
        return email.message_from_string(body, policy=default)
    message = EmailMessage()
    message.set_content(body)
    return message
