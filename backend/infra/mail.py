"""Outgoing mail: through the SMTP server named by SMTP_URL (production), else written to the log (development
and tests: no mail server exists there, and the log is where a developer looks for the link)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from backend.settings import Settings

logger = logging.getLogger("showtime.mail")
SEND_TIMEOUT_S = 15


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


async def send_mail(settings: Settings, to: str, subject: str, text: str, **log_fields: str) -> None:
    """`log_fields` are what the development log line shows instead of the message (never in production)."""
    if not settings.smtp_url:
        logger.info("mail not sent (no SMTP_URL): %s to %s", subject, to, extra={"mail_to": to, **log_fields})
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, subject
    message.set_content(text)
    url = urlsplit(settings.smtp_url)
    try:
        await aiosmtplib.send(
            message, hostname=url.hostname, port=url.port or (465 if url.scheme == "smtps" else 587),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps", start_tls=None,  # STARTTLS whenever the server offers it
            timeout=SEND_TIMEOUT_S,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        logger.warning("mail to %s not sent: %s", to, type(exc).__name__)
        raise MailNotSent(type(exc).__name__) from None
