#!/usr/bin/env python3
# Relaying through an MX lookup: the client side of [[send]] number 1, with Python's smtplib.
import smtplib
import sys

HOST = '127.0.0.1'
PORT = 2525
HELO = 'laptop.example.com'
MAIL_FROM = 'alice@example.com'
MAIL_OPTIONS = []
RECIPIENTS = [
    ('bob@example.net', []),
]
MESSAGE = (
    b'From: Alice <alice@example.com>\r\n'
    b'To: Bob <bob@example.net>\r\n'
    b'Subject: Lunch on Friday?\r\n'
    b'Date: Wed, 25 Nov 2026 09:00:00 +0000\r\n'
    b'Message-ID: <lunch-1@example.com>\r\n'
    b'\r\n'
    b'Hi Bob, are you free for lunch on Friday?\r\n'
    b'Alice\r\n'
)

with smtplib.SMTP(HOST, PORT, local_hostname=HELO) as smtp:
    smtp.ehlo()
    if smtp.has_extn('starttls'):
        smtp.starttls()
        smtp.ehlo()
    code, text = smtp.mail(MAIL_FROM, MAIL_OPTIONS)
    print('MAIL', code, text.decode(errors='replace'))
    if code != 250:
        sys.exit(1)
    accepted = []
    for rcpt, options in RECIPIENTS:
        code, text = smtp.rcpt(rcpt, options)
        print('RCPT', rcpt, code, text.decode(errors='replace'))
        if code in (250, 251):
            accepted.append(rcpt)
    if not accepted:
        smtp.rset()
        sys.exit(1)
    code, text = smtp.data(MESSAGE)
    print('DATA', code, text.decode(errors='replace'))
    sys.exit(0 if code == 250 else 1)
