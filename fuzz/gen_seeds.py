#!/usr/bin/env python3
"""Writes the committed seed corpus in fuzz/seeds/<target>/ (run from anywhere; rewrites
the files it owns). The server_session format: one selector byte (see checks.rs:
server_setup: low two bits 0 = STARTTLS+AUTH, 1 = Legacy line ends, 2 = small limits,
3 = MX with greylisting), then chunks, each a length byte and that many bytes (0: the
whole rest is one chunk)."""
import base64
import pathlib

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"

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

for target, files in (("command_parser", commands), ("reply_parser", replies), ("server_session", servers)):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    print(f"{target}: {len(files)} seeds in {folder}")
