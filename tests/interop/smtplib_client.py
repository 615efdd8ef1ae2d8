"""Python's smtplib, a real SMTP client we did not write, against `smtp-playground serve`.

    python smtplib_client.py HOST:PORT CA_PEM CASE

Runs one case and prints one JSON object: what smtplib returned or raised, with the reply codes
it saw. The Rust test (tests/interop.rs) decides whether that is right and checks the
delivered .eml files. Cases:

  several-recipients   sendmail() to three recipients, one of them unknown (550 5.1.1)
  smtputf8             send_message() of an EmailMessage to an internationalized address
  starttls-plain       starttls() then login() with AUTH PLAIN, then a message
  starttls-login       starttls() then AUTH LOGIN (no initial response), then a message
  auth-before-tls      login() before STARTTLS: AUTH is not offered, smtplib refuses
  size-declared        a message over the SIZE limit, declared with MAIL FROM … SIZE=
  size-undeclared      the same message without SIZE=: refused at the end of DATA
  many-recipients      sendmail() to 120 recipients at open.example (any local part):
                       the 20 past the limit of 100 are refused with 452, the rest get it
"""

import json
import smtplib
import ssl
import sys
from email.message import EmailMessage

PASSWORD = "correct horse battery staple"
BIG = "x" * 76 + "\r\n"


def connect(addr):
    host, port = addr.rsplit(":", 1)
    smtp = smtplib.SMTP(host, int(port), local_hostname="client.example.com", timeout=20)
    smtp.ehlo()
    return smtp


def tls_context(ca):
    return ssl.create_default_context(cafile=ca)


def message(subject, body="Hello from smtplib.\r\n"):
    return (
        "From: alice@example.com\r\n"
        "To: bob@example.net\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <" + subject.replace(" ", "-") + "@client.example.com>\r\n"
        "\r\n" + body
    )


def error(e):
    code = getattr(e, "smtp_code", None)
    text = getattr(e, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return {"raised": type(e).__name__, "code": code, "text": text}


def case_several_recipients(addr, ca):
    with connect(addr) as smtp:
        refused = smtp.sendmail(
            "alice@example.com",
            ["bob@example.net", "nobody@example.net", "carol@example.net"],
            message("several recipients"),
        )
        return {
            "refused": {rcpt: [code, text.decode()] for rcpt, (code, text) in refused.items()},
            "esmtp_features": sorted(smtp.esmtp_features),
        }


def case_smtputf8(addr, ca):
    msg = EmailMessage()
    msg["From"] = "alice@example.com"
    msg["To"] = "Jürgen <jürgen@bücher.example>"
    msg["Subject"] = "Grüße aus smtplib"
    msg.set_content("Ein Brief an eine internationalisierte Adresse.\n")
    with connect(addr) as smtp:
        refused = smtp.send_message(msg)
        return {"refused": {k: [c, t.decode()] for k, (c, t) in refused.items()}, "smtputf8": smtp.has_extn("smtputf8")}


def case_starttls(addr, ca, mechanism):
    with connect(addr) as smtp:
        before = smtp.has_extn("auth")
        code, _ = smtp.starttls(context=tls_context(ca))
        smtp.ehlo()
        smtp.user, smtp.password = "alice", PASSWORD
        auth_code, auth_text = smtp.auth(
            mechanism,
            smtp.auth_plain if mechanism == "PLAIN" else smtp.auth_login,
            initial_response_ok=mechanism == "PLAIN",
        )
        refused = smtp.sendmail("alice@example.com", ["bob@example.net"], message(f"over tls {mechanism}"))
        return {
            "auth_offered_before_tls": before,
            "starttls_code": code,
            "auth_after_tls": smtp.esmtp_features.get("auth", ""),
            "auth_code": auth_code,
            "auth_text": auth_text.decode(),
            "refused": {k: [c, t.decode()] for k, (c, t) in refused.items()},
            "cipher": smtp.sock.cipher()[1],
        }


def case_auth_before_tls(addr, ca):
    with connect(addr) as smtp:
        try:
            smtp.login("alice", PASSWORD)
            return {"raised": None}
        except smtplib.SMTPNotSupportedError as e:
            return {"raised": type(e).__name__, "text": str(e)}


def case_size(addr, ca, declared):
    big = message("too big", BIG * 400)  # ~31 KB, over SIZE 20000
    with connect(addr) as smtp:
        try:
            if declared:
                smtp.sendmail("alice@example.com", ["bob@example.net"], big)
            else:
                code, _ = smtp.mail("alice@example.com")
                assert code == 250, code
                code, _ = smtp.rcpt("bob@example.net")
                assert code == 250, code
                code, text = smtp.data(big)
                return {"raised": None, "code": code, "text": text.decode()}
            return {"raised": None}
        except smtplib.SMTPException as e:
            return error(e)


def case_many_recipients(addr, ca):
    recipients = [f"r{i:03}@open.example" for i in range(120)]
    with connect(addr) as smtp:
        refused = smtp.sendmail("alice@example.com", recipients, message("many recipients"))
        return {"refused": {rcpt: [code, text.decode()] for rcpt, (code, text) in refused.items()}}


CASES = {
    "several-recipients": case_several_recipients,
    "smtputf8": case_smtputf8,
    "starttls-plain": lambda a, c: case_starttls(a, c, "PLAIN"),
    "starttls-login": lambda a, c: case_starttls(a, c, "LOGIN"),
    "auth-before-tls": case_auth_before_tls,
    "size-declared": lambda a, c: case_size(a, c, True),
    "size-undeclared": lambda a, c: case_size(a, c, False),
    "many-recipients": case_many_recipients,
}

if __name__ == "__main__":
    addr, ca, case = sys.argv[1:4]
    try:
        result = CASES[case](addr, ca)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        result = error(e)
    print(json.dumps(result))
