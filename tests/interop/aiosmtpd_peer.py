"""aiosmtpd, a real SMTP server we did not write, for our client to send to.

    python aiosmtpd_peer.py CERT KEY

Listens on 127.0.0.1 (a free port), with SMTPUTF8, STARTTLS (CERT/KEY) and AUTH PLAIN/LOGIN
(only after STARTTLS, aiosmtpd's default) for alice / "correct horse battery staple". Prints
`listening 127.0.0.1:PORT`, then one JSON line per message received: the envelope, the options
that came with MAIL and RCPT, whether TLS and AUTH were in force, and the content exactly as
aiosmtpd received it (dot-unstuffed, line ends untouched), base64-encoded. Stops when stdin
closes.
"""

import base64
import json
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = b"alice"
PASSWORD = b"correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False)


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "smtp_utf8": bool(envelope.smtp_utf8),
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "content": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        print(json.dumps(record), flush=True)
        return "250 2.0.0 Message accepted for delivery"


def main():
    cert, key = sys.argv[1], sys.argv[2]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = Controller(
        Recorder(),
        hostname="127.0.0.1",
        port=port,
        server_hostname="aiosmtpd.example.org",
        enable_SMTPUTF8=True,
        decode_data=False,
        tls_context=context,
        require_starttls=False,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    controller.start()
    print(f"listening 127.0.0.1:{port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
