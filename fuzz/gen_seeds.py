#!/usr/bin/env python3
"""Writes the committed seed corpus in fuzz/seeds/<target>/ (run from anywhere; rewrites
the files it owns). The server_session format: one selector byte (see checks.rs:
server_setup: low two bits 0 = STARTTLS+AUTH, 1 = Legacy line ends, 2 = small limits,
3 = MX with greylisting), then chunks, each a length byte and that many bytes (0: the
whole rest is one chunk). The other targets' formats are in their checks (checks/*.rs);
their seeds come from the lessons (src/scenario/lessons/*.toml: messages, DNS records,
the files themselves) and the RFCs' examples (read from /work/shared/rfc when present)."""
import base64
import pathlib
import re
import tomllib
import zlib

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"
LESSONS = pathlib.Path(__file__).resolve().parent.parent / "src" / "scenario" / "lessons"
RFC = pathlib.Path("/work/shared/rfc")

STARTTLS_AUTH, LEGACY, SMALL, MX = 0, 1, 2, 3


def crlf(*lines):
    return b"".join(line.encode() + b"\r\n" for line in lines)


def session(selector, *writes):
    """Each write is one client send; it becomes one chunk, or several of <= 255 bytes.
    A write of None makes the rest of the session one chunk (length byte 0)."""
    out = bytearray([selector])
    for n, w in enumerate(writes):
        if w is None:
            out.append(0)
            out += b"".join(writes[n + 1:])
            break
        for i in range(0, max(len(w), 1), 255):
            piece = w[i:i + 255]
            out.append(len(piece))
            out += piece
    return bytes(out)


plain = base64.b64encode(b"\0alice\0s3cret").decode()
message = crlf("From: <alice@example.org>", "To: <bob@example.net>", "Subject: hi", "", "Hello Bob.", "..dot-stuffed", ".")

commands = {
    "session.txt": crlf(
        "EHLO client.example.org", "MAIL FROM:<alice@example.org> SIZE=1234 BODY=8BITMIME",
        "RCPT TO:<bob@example.net>", "DATA", "RSET", "NOOP", "HELP MAIL", "VRFY bob", "EXPN staff", "QUIT"),
    "mail_params.txt": crlf(
        "MAIL FROM:<用户@例え.jp> SMTPUTF8 BODY=8BITMIME",
        "MAIL FROM:<a@example.com> RET=HDRS ENVID=QQ314159 SIZE=10240000",
        "MAIL FROM:<> AUTH=<>", "mail from: <@relay.example:a@b.example>",
        "MAIL FROM:<\"Joe,Smith\"@example.com> AUTH=e+3Dmc2@example.com"),
    "rcpt_params.txt": crlf(
        "RCPT TO:<Postmaster>", "RCPT TO:<postmaster@example.net>",
        "RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com",
        "RCPT TO:<c@example.com> NOTIFY=NEVER", "RCPT TO:<d@[192.0.2.7]> X-UNKNOWN=1",
        "RCPT TO:<e@[IPv6:2001:db8::1]>"),
    "auth_starttls_bdat.txt": crlf(
        "EHLO [192.0.2.1]", "STARTTLS", "AUTH PLAIN " + plain, "AUTH LOGIN", "AUTH PLAIN =",
        "AUTH CRAM-MD5", "BDAT 86", "BDAT 0 LAST"),
    "errors.txt": b"FROB\r\nMAIL FROM:a@b\r\nHELO\r\nDATA now\r\nBDAT x\r\nQUIT\nRCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER\r\nQUIT",
}

replies = {
    "greeting.txt": crlf("220 mx.example.net ESMTP smtp-playground"),
    "ehlo.txt": crlf(
        "250-mx.example.net", "250-PIPELINING", "250-SIZE 10240000", "250-STARTTLS", "250-AUTH PLAIN LOGIN",
        "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING"),
    "pipelined_group.txt": crlf(
        "250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 <nobody@example.net>: Recipient address rejected",
        "451 4.7.1 <bob@example.net>: Recipient address rejected: Greylisted, try again in 300 seconds",
        "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as 4A2B3C4D5E"),
    "auth.txt": crlf("334 ", "334 VXNlcm5hbWU6", "235 2.7.0 Authentication successful", "535 5.7.8 Error: authentication failed"),
    "edge.txt": crlf("220", "250-2.0.0 first", "250 2.0.0 second", "250 5.1.1 odd", "214-2.0.0 Commands: HELO", "214 2.0.0 See RFC 5321")
    + b"221 2.0.0 Bye\r\n421 4.4.2 mx.example.net Error: timeout exceeded\r\n250-a\r\n251 b\r\n",
}

ehlo = b"EHLO client.example.org\r\n"
servers = {
    # Greylisted at first, accepted after time passes (each chunk moves the clock 120 s).
    "mx_greylisted_then_accepted": session(
        MX, ehlo, b"MAIL FROM:<alice@example.org>\r\n", b"RCPT TO:<bob@example.net>\r\n",
        b"RCPT TO:<nobody@example.net>\r\n", b"RCPT TO:<full@example.net>\r\n", b"RCPT TO:<x@elsewhere.example>\r\n",
        b"RSET\r\n", b"MAIL FROM:<alice@example.org>\r\n", b"RCPT TO:<bob@example.net>\r\n", b"DATA\r\n",
        message, b"QUIT\r\n"),
    # RFC 2920 pipelining: the envelope and DATA for ten recipients, then the message and
    # QUIT, all in one read (length byte 0: the rest is one chunk).
    "pipelined_10_recipients": session(
        LEGACY, ehlo, None,
        crlf("MAIL FROM:<alice@example.org> SIZE=200 BODY=8BITMIME RET=HDRS ENVID=QQ314159",
             *[f"RCPT TO:<user{i}@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user{i}@example.net" for i in range(10)],
             "DATA"),
        message + b"QUIT\r\n"),
    # STARTTLS with a command injected behind it in the same read (CVE-2011-0411), then AUTH.
    "starttls_injection_auth_plain": session(
        STARTTLS_AUTH, ehlo, b"STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n", ehlo,
        ("AUTH PLAIN " + plain + "\r\n").encode(), b"MAIL FROM:<alice@example.org>\r\n",
        b"RCPT TO:<carol@elsewhere.example>\r\n", b"DATA\r\n", message, b"QUIT\r\n"),
    "auth_login_and_cancel": session(
        STARTTLS_AUTH, ehlo, b"AUTH LOGIN\r\n", base64.b64encode(b"alice") + b"\r\n",
        base64.b64encode(b"wrong") + b"\r\n", b"AUTH PLAIN\r\n", b"*\r\n", b"AUTH LOGIN YWxpY2U=\r\n",
        base64.b64encode(b"s3cret") + b"\r\n", b"AUTH PLAIN " + plain.encode() + b"\r\n", b"QUIT\r\n"),
    # AUTH before TLS where TLS is required (selector bit 0x10), and require_auth (0x40).
    "auth_requires_tls": session(
        STARTTLS_AUTH | 0x10 | 0x40, ehlo, b"AUTH PLAIN " + plain.encode() + b"\r\n",
        b"MAIL FROM:<a@example.org>\r\n", b"STARTTLS\r\n", ehlo, b"AUTH PLAIN " + plain.encode() + b"\r\n",
        b"MAIL FROM:<a@example.org>\r\n", b"QUIT\r\n"),
    # RFC 3030 CHUNKING, with a chunk split across reads and one over the 64-octet limit.
    "bdat_chunks": session(
        SMALL, ehlo, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n", b"BDAT 20\r\nSubject: chunk",
        b" one\r\n", b"BDAT 10 LAST\r\nbody text\n", b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n",
        b"BDAT 100 LAST\r\n" + b"x" * 100, b"DATA\r\n", b"QUIT\r\n"),
    # SMTP smuggling: `LF . LF` / `LF . CRLF` inside DATA, then a second envelope.
    "smuggling_legacy": session(
        LEGACY, ehlo, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
        b"Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<admin@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
        b"Subject: smuggled\r\n\r\nsecond\r\n.\r\n", b"QUIT\r\n"),
    "smuggling_strict": session(
        STARTTLS_AUTH, ehlo, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
        b"Subject: one\r\n\r\nfirst\r\n.\nMAIL FROM:<admin@example.net>\r\n.\r\n", b"QUIT\r\n"),
    # Limits and errors: bare LF command, overlong line, too many recipients, SIZE, unknown verbs.
    "limits_and_errors": session(
        SMALL | 0x08, b"HELO client\n", b"EHLO client.example.org\r\n", b"VRFY bob\r\nHELP\r\nNOOP\r\n",
        b"X" * 255, b"Y" * 255, b"Z" * 20 + b"\r\n", b"MAIL FROM:<a@example.org> SIZE=1000\r\n",
        b"MAIL FROM:<a@example.org> SMTPUTF8\r\n", crlf(*[f"RCPT TO:<r{i}@example.net>" for i in range(5)]),
        b"EXPN staff\r\n"),
    # Lines near the 512-octet limit whose arguments the replies quote: VRFY text, an
    # unknown parameter's keyword, a long local part and domain (RFC 5321 §4.5.3.1).
    "near_line_limits": session(
        MX, ehlo, None, b"VRFY " + b"v" * 400 + b"\r\n",
        b"MAIL FROM:<alice@example.org> X-" + b"K" * 400 + b"=1\r\n", b"MAIL FROM:<alice@example.org>\r\n",
        b"RCPT TO:<" + b"l" * 64 + b"@" + b".".join([b"d" * 63] * 3) + b".example.net>\r\n",
        b"RCPT TO:<" + b"u" * 64 + b"@example.net> NOTIFY=NEVER ORCPT=rfc822;" + b"o" * 300 + b"\r\n", b"QUIT\r\n"),
    "helo_no_pipelining_utf8": session(
        LEGACY | 0x04 | 0x80, b"HELO client.example.org\r\nMAIL FROM:<a@example.org>\r\n", b"RSET\r\n",
        "MAIL FROM:<用户@例え.jp> SMTPUTF8\r\n".encode(), b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n",
        b"EHLO client.example.org\r\n", "MAIL FROM:<用户@例え.jp>\r\n".encode(), b"MAIL FROM:<a@example.org>\r\n",
        "RCPT TO:<用户@例え.jp>\r\n".encode(), b"RCPT TO:<b@example.net> NOTIFY=NEVER\r\n", b"QUIT\r\n",
        b"NOOP\r\n"),
}


# --- The targets of every other parser of untrusted input (issue 15). -----------------
# Taken from the lessons (their messages and DNS records) and the RFCs' examples; the RFC
# texts are read from /work/shared/rfc when present.

lesson_files = sorted(LESSONS.glob("*.toml"))
lessons = {p.stem: tomllib.loads(p.read_text()) for p in lesson_files}


def crlf_text(text):
    """A TOML message string as a [[send]] sends it: every line ends in CRLF."""
    return "".join(line + "\r\n" for line in text.splitlines()).encode()


def rfc_text(name):
    path = RFC / name
    return path.read_text(errors="replace") if path.exists() else ""


def rfc_blocks(name, first_heading, last_heading):
    """The examples between `----` lines of an RFC section range, without the RFC's
    three-space indent and page breaks, with CRLF line ends."""
    text = rfc_text(name)
    if first_heading not in text:
        return []
    start = text.index(first_heading)
    text = text[start:text.index(last_heading, start)]
    blocks, current = [], None
    for line in text.splitlines():
        if line.strip() == "----":
            if current is None:
                current = []
            else:
                blocks.append("".join(l + "\r\n" for l in current).encode())
                current = None
        elif current is not None and not line.startswith(("RFC 5322", "Resnick", "\f")):
            current.append(line[3:] if line.startswith("   ") else line.lstrip())
    return blocks


def strip_lesson(text):
    """A lesson without its [[note]] tables and long prose, small enough for -max_len."""
    out, skip, inside = [], False, False
    for line in text.splitlines(keepends=True):
        if not inside and line.startswith("["):
            skip = line.strip() == "[[note]]"
        if line.count('"""') % 2 == 1:
            inside = not inside
        if not skip:
            out.append(line)
    text = "".join(out)
    text = re.sub(r'(?ms)^(recap|description) = """.*?"""\n', "", text)
    text = re.sub(r"(?ms)^goals = \[.*?\n\]\n", "", text)
    text = re.sub(r'(?m)^(description|recap) = ".*"\n', "", text)
    tomllib.loads(text)  # still TOML
    return text


def permalink(text):
    """scenario::permalink::encode: raw DEFLATE, then base64url without padding."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = deflate.compress(text.encode()) + deflate.flush()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


lesson_messages = {}
for lid, data in lessons.items():
    for n, send in enumerate(data.get("send", [])):
        lesson_messages[f"{lid}-{n}"] = crlf_text(send["message"])
rfc5322 = rfc_blocks("rfc5322.txt", "Appendix A.  Example Messages", "Appendix B.")

# message_fields: messages, field values, DSNs in the layout of RFC 3464 Appendix E (whose
# text is reflowed in the RFC) and of build_dsn.
dsn_status = crlf(
    "Reporting-MTA: dns; cs.utk.edu", "", "Original-Recipient: rfc822;louisl@larry.slip.umd.edu",
    "Final-Recipient: rfc822;louisl@larry.slip.umd.edu", "Action: failed", "Status: 4.0.0",
    "Diagnostic-Code: smtp; 426 connection timed out", "Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400")
dsn_multi = crlf(
    "Reporting-MTA: dns; cs.utk.edu", "Received-From-MTA: dns; mail.example.org",
    "Arrival-Date: Thu, 7 Jul 1994 17:15:49 -0400", "Original-Envelope-Id: QQ314159", "",
    "Final-Recipient: rfc822; arathib@vnet.ibm.com", "Action: failed", "Status: 5.0.0 (permanent failure)",
    "Remote-MTA: dns; vnet.ibm.com", "Diagnostic-Code: smtp; 550 'arathib@vnet.IBM.COM' is not a",
    "    registered gateway user", "", "Final-Recipient: rfc822; johnh@hpnjld.njd.hp.com",
    "Action: delayed", "Status: 4.0.0 (hpnjld.njd.jp.com: host name lookup failure)",
    "Will-Retry-Until: Fri, 8 Jul 1994 17:15:49 -0400", "", "Final-Recipient: rfc822; wsnell@sdcc13.ucsd.edu",
    "Action: delivered", "Status: 2.0.0")


def dsn_message(status, boundary="RAA14128.773615765/CS.UTK.EDU", kind="message/delivery-status"):
    return crlf(
        "Date: Thu, 7 Jul 1994 17:16:05 -0400", "From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>",
        "Message-Id: <199407072116.RAA14128@CS.UTK.EDU>", "Subject: Returned mail: Cannot send message for 5 days",
        "To: <owner-info-mime@cs.utk.edu>", "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n      boundary="{boundary}"', "",
        "This is a MIME-encapsulated message", "", f"--{boundary}", "",
        "The original message was received at Sat, 2 Jul 1994 17:10:28 -0400", "", f"--{boundary}",
        f"Content-Type: {kind}", "") + status + crlf("", f"--{boundary}", "Content-Type: message/rfc822", "",
        "From: <owner-info-mime@cs.utk.edu>", "Subject: test", "", "body", f"--{boundary}--")


messages = {f"lesson-{k}.eml": v for k, v in lesson_messages.items() if k.endswith("-0")}
messages.update({f"rfc5322-a{n}.eml": b for n, b in enumerate(rfc5322)})
messages.update({
    "dsn-simple.eml": dsn_message(dsn_status),
    "dsn-multi.eml": dsn_message(dsn_multi, boundary="JAA13167.773673707/CS.UTK.EDU"),
    "dsn-global.eml": dsn_message(dsn_status, kind="message/global-delivery-status"),
    "delivery-status.txt": dsn_multi,
    "received.txt": b"from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net (Postfix)"
                    b" with ESMTPS id 4A2B3C4D5E for <bob@example.net>; Wed, 25 Nov 2026 09:00:05 +0000",
    "received-ipv6.txt": b"from [IPv6:2001:db8::1] ([IPv6:2001:db8::1]) by mx.example.net via TCP with"
                         b" UTF8SMTPSA id x (comment) for <u@example.net>;\r\n 1 Jan 2026 00:00:00 -0000 (UTC)",
    "return-path.txt": b" <alice@example.com>",
    "return-path-null.txt": b"<>",
    "date.txt": b"Fri, 21 Nov 1997 09:55:06 -0600",
    "date-obsolete.txt": b"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
                         b"               -0330 (Newfoundland Time)",
    "date-two-digit-year.txt": b"21 Nov 97 09:55:06 GMT",
    "date-leap-second.txt": b"Sat, 31 Dec 2016 23:59:60 +0000",
    "lf-only.eml": b"From: a@example.org\nTo: b@example.net\nSubject: lf\n\nbody\n",
    "folded.eml": b"Subject: a very long subject\r\n that is folded\r\n\tand folded again\r\nX-Empty:\r\n\r\n",
})

# mailauth_records: the lessons' TXT records, RFC 7208's records and macro examples, RFC
# 7489's records.
records, seen = {}, set()
for lid, data in lessons.items():
    for name, entry in data.get("dns", {}).items():
        for n, txt in enumerate(entry.get("txt", [])):
            if txt not in seen:
                seen.add(txt)
                records[f"lesson-{lid}-{name}-{n}.txt"] = txt.encode()
rfc7208 = rfc_text("rfc7208.txt")
records["rfc7208-records.txt"] = "\n".join(sorted(set(re.findall(r'"(v=spf1[^"]*)"', rfc7208)))).encode()
records["rfc7208-macros.txt"] = "\n".join(sorted(set(re.findall(r"^   (%\{[^ ]*)", rfc7208, re.M)))).encode()
records.update({
    "spf-all-mechanisms.txt": b"v=spf1 +all ?include:_spf.example.com ~a:mail.example.com/24//64 -mx:example.net/28"
                              b" ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d}"
                              b" redirect=_spf.example.com exp=explain._spf.%{d} x-unknown=%{c}",
    "spf-explanation.txt": b"%{i} is not one of %{d}'s designated mail servers. See http://%{d}/why.html?s=%{S}&i=%{I}%_%-%%",
    "dmarc.txt": b"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com\n"
                 b"v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25\n"
                 b"v=DMARC1; p=reject; aspf=r; rua=mailto:dmarc-feedback@example.com\n"
                 b"v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; pct=0; fo=1; rf=afrf; ri=86400\n"
                 b"v = DMARC1 ; p = bogus ; rua = mailto:x@example.com",
    "dkim-c.txt": b"relaxed/relaxed\nsimple\nrelaxed\nsimple/relaxed",
    "from-field.eml": b"From: \"Joe, the (CEO)\" <ceo@Example.COM>\r\n\r\n",
})


# mailauth_verify: zone lines (see checks/mailauth.rs zone_from), NUL, message. The RFC 8463
# Appendix A example (both signatures verify), breakages of it, and the lessons' worlds.
def zone_lines(data):
    lines = []
    for name, entry in data.get("dns", {}).items():
        lines += [f"{name} TXT {t}" for t in entry.get("txt", [])]
        lines += [f"{name} A {a}" for a in entry.get("a", [])]
        lines += [f"{name} MX {p} {h}" for p, h in entry.get("mx", [])]
    return "\n".join(lines)


rfc8463_zone = (
    "brisbane._domainkey.football.example.com TXT v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "test._domainkey.football.example.com TXT v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
    "football.example.com TXT v=spf1 ip4:192.0.2.0/24 -all\n"
    "_dmarc.football.example.com TXT v=DMARC1; p=reject; adkim=s\n"
    "@ip 192.0.2.25\n@helo mail.football.example.com\n@from joe@football.example.com")
rfc8463_message = (
    b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n"
    b" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n subject : date : message-id : from : subject : date;\r\n"
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    b" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n"
    b" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n date : message-id : from : subject : date;\r\n"
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    b" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    b" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    b"From: Joe SixPack <joe@football.example.com>\r\nTo: Suzie Q <suzie@shopping.example.net>\r\n"
    b"Subject: Is dinner ready?\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n\r\nHi.\r\n\r\n"
    b"We lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n")
verify = {
    "rfc8463": rfc8463_zone.encode() + b"\0" + rfc8463_message,
    "rfc8463-body-changed": rfc8463_zone.encode() + b"\0" + rfc8463_message.replace(b"hungry", b"thirsty"),
    "rfc8463-revoked-key": rfc8463_zone.replace("p=11qY", "x=11qY").encode() + b"\0" + rfc8463_message,
    "spf-macros-and-include": b"example.com TXT v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} "
                              b"a mx ptr ip6:2001:db8::/32 redirect=other.example exp=exp.example.com\n"
                              b"_spf.example.com TXT v=spf1 a:mail.example.com/24 -all\n"
                              b"mail.example.com A 192.0.2.25\nexample.com MX 10 mail.example.com\n"
                              b"other.example CNAME _spf.example.com\nexp.example.com TXT %{i} is not one of %{d}'s servers\n"
                              b"25.2.0.192.in-addr.arpa PTR mail.example.com\nslow.example.com TIMEOUT\n"
                              b"@ip 192.0.2.26\n\0From: <a@example.com>\r\nTo: <b@example.net>\r\n\r\nhi\r\n",
}
for lid in ("dkim-pass", "dkim-body-changed", "dmarc-reject", "spf-spoofed", "submission-auth"):
    data = lessons.get(lid)
    if data and data.get("send"):
        verify[f"lesson-{lid}"] = zone_lines(data).encode() + b"\0" + crlf_text(data["send"][0]["message"])

# scenario_parse: every lesson without its notes and prose, and worlds with faults and every
# TOML string form.
scenarios = {f"{p.stem}.toml": strip_lesson(p.read_text()).encode() for p in lesson_files}
tiny_world = '''title = "t"
description = "d"

[[host]]
name = "client.example.org"
role = "client"
ip = "192.0.2.10"

[[host]]
name = "mx.example.net"
role = "mx"
ip = "198.51.100.25"
domains = ["example.net"]
mailboxes = ["bob@example.net"]
smtp = { pipelining = false }

[dns]
"example.net" = { mx = [[10, "mx.example.net"]] }
"mx.example.net" = { a = ["198.51.100.25"] }

[[send]]
from = "client.example.org"
to = "mx.example.net"
at = "1m30s"
mail_from = "alice@example.org"
rcpt_to = ["bob@example.net"]
message = """
Subject: hi

.dot "quotes" \\\\ tab\\t
"""
'''
scenarios["faults.toml"] = (tiny_world + '''
[[fault]]
host = "mx.example.net"
command = "RCPT"
occurrence = 1
action = "reply"
reply = "451 4.7.1 Try again later"

[[fault]]
host = "mx.example.net"
action = "down"
at = "0s"
for = "2h30m"
''').encode()
scenarios["fault-close.toml"] = (tiny_world + '\n[[fault]]\nhost = "mx.example.net"\ncommand = "DATA"\naction = "close-421"\n').encode()
scenarios["toml-forms.toml"] = (
    '# every string form\nbasic = "a\\"b\\\\c\\u00e9\\U0001F600\\t"\nliteral = \'C:\\\\path\'\n'
    'multi = """\nline one\\\n   continued\r\n"""\nmultilit = \'\'\'\nraw \\n\n\'\'\'\n'
    'int = -0x10\nints = [1_000, +2, 0o17, 0b101]\nyes = true\ninline = { a.b = "c", "q k" = 1 }\n'
    '[t.u]\nv = "w"\n[[arr]]\nx = 1\n[[arr]]\nx = 2\n').encode()

# permalink_decode: links to some of those files, and damaged ones.
permalinks = {f"{n}.txt": permalink(t.decode()) for n, t in sorted(scenarios.items())[:8]}
permalinks.update({
    "empty.txt": b"",
    "padded.txt": permalink('title = "t"\n') + b"==",
    "not-base64.txt": b"scenario=%%%",
    "stored-block.txt": base64.urlsafe_b64encode(b"\x01\x05\x00\xfa\xffhello").rstrip(b"="),
    "not-utf8.txt": base64.urlsafe_b64encode(b"\x01\x02\x00\xfd\xff\xff\xfe").rstrip(b"="),
    "bomb.txt": permalink("a" * 300_000),
})

# eml_import: a byte that picks a lesson (lessons::ALL, modulo), then an .eml.
emls = {
    "plain": b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: hi\r\n\r\nHello.\r\n",
    "bcc-cc-sender": b"From: a@example.com\nSender: Secretary <s@example.com>\nTo: Bob <bob@example.net>, "
                     b"\"Doe, J\" <j@example.net>\nCc: undisclosed-recipients:;\nBcc: hidden@example.net\n"
                     b"Subject: lf only\n\n.leading dot\n",
    "folded-utf8": "From: Jöran <jöran@例え.jp>\r\nTo: (comment) bob@example.net\r\nSubject: folded\r\n and\r\n"
                   "\tagain\r\n\r\n\"\"\"quotes\"\"\"\r\n\\".encode(),
    "rfc5322-groups": rfc5322[2] if len(rfc5322) > 2 else b"From: a@b.example\r\nTo: c@d.example\r\n\r\n",
    "no-recipient": b"From: a@example.com\r\nSubject: none\r\n\r\n",
}
eml_seeds = {name: bytes([n * 5]) + eml for n, (name, eml) in enumerate(emls.items())}
for n, (name, eml) in enumerate(list(lesson_messages.items())[:6]):
    eml_seeds[f"lesson-{name}"] = bytes([n * 3 + 1]) + eml

# ehlo_reply: EHLO replies (RFC 5321 §4.1.1.1 and the extensions' RFCs).
ehlo = {
    "full.txt": replies["ehlo.txt"],
    "greet-and-oddities.txt": crlf(
        "250-mx.example.net Hello client.example.org [192.0.2.10]", "250-SIZE", "250-SIZE 0", "250-size 52428800",
        "250-AUTH=PLAIN LOGIN", "250-AUTH plain login CRAM-MD5 XOAUTH2", "250-X-EXPS GSSAPI NTLM",
        "250-  spaced   params  ", "250-bad_keyword!", "250-BINARYMIME", "250-HELP", "250 DSN"),
    "one-line.txt": crlf("250 mx.example.net"),
    "enhanced.txt": crlf("250-2.0.0 mx.example.net", "250 2.0.0 PIPELINING"),
    "refusals.txt": crlf("502 5.5.2 Error: command not recognized", "500 Syntax error", "421 4.3.2 Shutting down"),
}

# sasl_auth: a selector byte, then AUTH lines and SASL responses (RFC 4954 §4, RFC 4616 §4).
plain_tim = base64.b64encode(b"\0tim\0tanstaaftanstaaf").decode()
plain_authzid = base64.b64encode(b"admin\0alice\0s3cret").decode()
sasl = {
    "plain-initial": bytes([0]) + crlf("AUTH PLAIN " + plain, "MAIL FROM:<alice@example.org>"),
    "plain-challenge": bytes([0]) + crlf("AUTH PLAIN", plain, "AUTH PLAIN", plain_tim, "AUTH PLAIN " + plain_authzid),
    "login": bytes([0x40]) + crlf("AUTH LOGIN", "YWxpY2U=", "czNjcmV0", "AUTH LOGIN YWxpY2U=", "d3Jvbmc="),
    "cancel-and-junk": bytes([0]) + crlf(
        "AUTH PLAIN", "*", "AUTH LOGIN", "=", "=", "AUTH PLAIN ====", "AUTH PLAIN AGFsaWNlAHMzY3JldAA=",
        "AUTH CRAM-MD5", "AUTH login", "AUTH PLAIN " + plain + " extra", "AUTH PLAIN", "not base64!"),
}

# smtp_client: a selector byte (checks/engine.rs client_setup), then server bytes in chunks.
greet = b"220 mx.example.net ESMTP\r\n"
ehlo_ok = crlf("250-mx.example.net", "250-PIPELINING", "250-SIZE 1000", "250-STARTTLS", "250-AUTH PLAIN LOGIN",
               "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING")
client = {
    "pipelined-delivery": session(
        0x80, greet, ehlo_ok, crlf("250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 no such user", "250 2.1.5 Ok",
                                   "354 go ahead"), crlf("250 2.0.0 Ok: queued as X"), crlf("221 2.0.0 Bye")),
    "starttls-then-auth": session(
        0x05, greet, ehlo_ok, crlf("220 2.0.0 Ready to start TLS") + b"250 injected\r\n", ehlo_ok,
        crlf("235 2.7.0 Authentication successful"), crlf("250 Ok", "250 Ok", "354 go"), crlf("250 queued"),
        crlf("221 Bye")),
    "auth-login-challenges": session(
        0x0c, greet, ehlo_ok, crlf("334 VXNlcm5hbWU6"), crlf("334 UGFzc3dvcmQ6"),
        crlf("535 5.7.8 Error: authentication failed"), crlf("221 Bye")),
    "helo-fallback": session(
        0x01, greet, crlf("502 5.5.2 Error: command not recognized"), crlf("250 mx.example.net"), crlf("250 Ok"),
        crlf("250 Ok"), crlf("354 go"), crlf("451 4.3.0 try later"), crlf("221 Bye")),
    "bdat": session(0x18, greet, ehlo_ok, crlf("250 2.1.0 Ok"), crlf("250 2.1.5 Ok"), crlf("250 2.0.0 chunk ok"),
                    crlf("221 Bye")),
    "required-tls-missing": session(0x02, greet, crlf("250-mx.example.net", "250 SIZE 10"), crlf("221 Bye")),
    "garbage-and-421": session(0x00, greet, b"HTTP/1.1 400 Bad Request\r\n\r\n", b"421 4.4.2 timeout\r\n"),
    "multiline-split": session(
        0x40, b"220-mx.example.net\r\n220-more", b" text\r\n220 ok\r\n", None,
        ehlo_ok + crlf("250 Ok", "452 4.5.3 too many", "354 go", "250 Ok", "221 Bye")),
}

# pop3 (RFC 1939): a selector byte whose value mod 3 picks the server (0), the client (1)
# or both talking (2, the rest is the maildrop's messages split at NUL).
pop3 = {
    "server-session": session(0, *[c + b"\r\n" for c in (
        b"USER bob", b"PASS pw", b"STAT", b"LIST", b"LIST 2", b"RETR 1", b"DELE 1", b"RETR 1", b"RSET", b"NOOP",
        b"TOP 1 10", b"DELE 3", b"QUIT")]),
    "server-errors": session(3, b"PASS pw\r\nUSER\r\nUSER alice\r\nPASS nope\r\nSTAT\r\n", b"X" * 255,
                             b"Y" * 10 + b"\r\n", b"user bob\r\npass pw\r\nlist 0\r\nretr 99\r\nquit\r\n"),
    "client-retrieval": session(
        1 | 0x80, b"+OK POP3 server ready\r\n", b"+OK send PASS\r\n", b"+OK maildrop has 2\r\n", b"+OK 2 320\r\n",
        b"+OK 120 octets\r\nSubject: one\r\n\r\n..dot\r\n.\r\n", b"+OK 10 octets\r\n.\r\n",
        b"+OK deleted\r\n+OK deleted\r\n", b"+OK bye\r\n"),
    "client-errors": session(4, b"+OK ready\r\n", b"-ERR no such user\r\n", b"+OK bye\r\n"),
    "pair": bytes([2]) + b"Subject: one\r\n\r\n.dot\r\n\0two\nlines\n.\n\0\0no line end\0\r\n.\r\n",
    "pair-delete": bytes([2 | 0x80]) + b"From: a@example.org\r\n\r\nbody\r\n\0..\r\n\rbare CR\r",
}
for lid, data in lessons.items():
    if data.get("retrieve") and data.get("send"):
        pop3[f"pair-{lid}"] = bytes([5]) + b"\0".join(crlf_text(s["message"]) for s in data["send"])

targets = {
    "command_parser": commands, "reply_parser": replies, "server_session": servers,
    "ehlo_reply": ehlo, "sasl_auth": sasl, "smtp_client": client, "pop3": pop3,
    "message_fields": messages, "mailauth_records": records, "mailauth_verify": verify,
    "scenario_parse": scenarios, "permalink_decode": permalinks, "eml_import": eml_seeds,
}
for target, files in targets.items():
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / re.sub(r"[^A-Za-z0-9._-]", "_", name)).write_bytes(data)
    print(f"{target}: {len(files)} seeds in {folder}")
