"""Python's imaplib (and smtplib to send), real clients we did not write, against
`smtp-playground serve --imap`.

    python imaplib_client.py CASE ARGS...

Runs one case and prints one JSON object: what the library returned or raised. The Rust test
(tests/serve_imap.rs) decides whether that is right and checks the maildir. Cases:

  version                                  sys.version, which fixes imaplib's version
  send SMTP_ADDR FILE                      smtplib.sendmail() of FILE's bytes, alice → bob
  read IMAP_ADDR CA USER PASSWORD          STARTTLS (trusting CA), LOGIN, SELECT INBOX,
                                           UID SEARCH ALL, UID FETCH (BODY.PEEK[] FLAGS)
                                           of each, LOGOUT
  store-seen IMAP_ADDR CA USER PASSWORD UID   UID STORE UID +FLAGS (\\Seen)
  expunge IMAP_ADDR CA USER PASSWORD UID      UID STORE UID +FLAGS (\\Deleted), EXPUNGE
  login-before-tls IMAP_ADDR USER PASSWORD    LOGIN without STARTTLS
  login IMAP_ADDR CA USER PASSWORD            STARTTLS and LOGIN only (a wrong password)
"""

import base64
import imaplib
import json
import smtplib
import ssl
import sys


def connect(addr):
    host, port = addr.rsplit(":", 1)
    return imaplib.IMAP4(host, int(port), timeout=20)


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def logged_in(addr, ca, user, password):
    imap = connect(addr)
    before = sorted(imap.capabilities)
    imap.starttls(ssl_context=ssl.create_default_context(cafile=ca))
    after = sorted(imap.capabilities)
    imap.login(user, password)
    return imap, before, after


def fetch_all(imap):
    typ, data = imap.select("INBOX")
    assert typ == "OK", (typ, data)
    uidvalidity = imap.response("UIDVALIDITY")[1]
    typ, data = imap.uid("SEARCH", None, "ALL")
    assert typ == "OK", (typ, data)
    uids = [int(u) for u in data[0].split()]
    messages = []
    for uid in uids:
        typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[] FLAGS)")
        assert typ == "OK", (typ, data)
        # [(b'1 (UID 1 BODY[] {n}', b'...'), b' FLAGS (\\Seen))'] in some order of items.
        head, body = data[0]
        rest = b" ".join(part for part in data[1:] if isinstance(part, bytes))
        flags = imaplib.ParseFlags(head + rest)
        messages.append(
            {
                "uid": uid,
                "flags": sorted(text(f) for f in flags),
                "body": base64.b64encode(body).decode(),
            }
        )
    return {"uidvalidity": [int(v) for v in uidvalidity if v], "uids": uids, "messages": messages}


def case_version():
    return {"version": sys.version}


def case_send(addr, path):
    host, port = addr.rsplit(":", 1)
    with open(path, "rb") as f:
        data = f.read()
    with smtplib.SMTP(host, int(port), local_hostname="client.example.com", timeout=20) as smtp:
        refused = smtp.sendmail("alice@example.com", ["bob@example.net"], data)
    return {"refused": refused}


def case_read(addr, ca, user, password):
    imap, before, after = logged_in(addr, ca, user, password)
    out = fetch_all(imap)
    out["capabilities_before_tls"] = before
    out["capabilities_after_tls"] = after
    out["logout"] = text(imap.logout()[0])
    return out


def case_store_seen(addr, ca, user, password, uid):
    imap, _, _ = logged_in(addr, ca, user, password)
    imap.select("INBOX")
    typ, data = imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    imap.logout()
    return {"typ": typ, "data": [text(d) for d in data if d]}


def case_expunge(addr, ca, user, password, uid):
    imap, _, _ = logged_in(addr, ca, user, password)
    imap.select("INBOX")
    stored = imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    typ, data = imap.expunge()
    imap.logout()
    return {"store": text(stored[0]), "typ": typ, "expunged": [text(d) for d in data if d]}


def case_login_before_tls(addr, user, password):
    imap = connect(addr)
    capabilities = sorted(imap.capabilities)
    try:
        imap.login(user, password)
        result = {"raised": None}
    except imaplib.IMAP4.error as e:
        result = {"raised": type(e).__name__, "text": str(e)}
    result["capabilities"] = capabilities
    imap.logout()
    return result


def case_login(addr, ca, user, password):
    imap = connect(addr)
    imap.starttls(ssl_context=ssl.create_default_context(cafile=ca))
    try:
        typ, data = imap.login(user, password)
        result = {"raised": None, "typ": typ}
    except imaplib.IMAP4.error as e:
        result = {"raised": type(e).__name__, "text": str(e)}
    imap.logout()
    return result


CASES = {
    "version": case_version,
    "send": case_send,
    "read": case_read,
    "store-seen": case_store_seen,
    "expunge": case_expunge,
    "login-before-tls": case_login_before_tls,
    "login": case_login,
}


if __name__ == "__main__":
    print(json.dumps(CASES[sys.argv[1]](*sys.argv[2:])))
