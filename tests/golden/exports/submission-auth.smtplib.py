#!/usr/bin/env python3
# Submission on port 587 with STARTTLS and AUTH: the client side of [[send]] number 1, with Python's smtplib.
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
    b'From: alice@example.com\r\n'
    b'To: bob@example.net\r\n'
    b'Subject: Test Email\r\n'
    b'\r\n'
    b'This is a test email.\r\n'
)

with smtplib.SMTP(HOST, PORT, local_hostname=HELO) as smtp:
    smtp.ehlo()
    smtp.starttls()
    smtp.ehlo()
    smtp.login('alice', 'correct horse battery staple')
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
