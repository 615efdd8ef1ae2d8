"""dkimpy as the other party in the DKIM interop tests (tests/dkim_interop.rs).

    dkim_peer.py verify SELECTOR DOMAIN KEY_RECORD   < message
        Verifies the topmost DKIM-Signature with dkimpy. The only DNS answer is KEY_RECORD,
        for SELECTOR._domainkey.DOMAIN. Prints "pass" or "fail"; dkimpy's reasons go to
        stderr.
    dkim_peer.py sign rsa-sha256|ed25519-sha256 HEADER/BODY SELECTOR DOMAIN KEY_FILE   < message
        Signs with dkimpy and prints the DKIM-Signature field it made (CRLF line ends).

Exit status 0 whenever the peer ran; the Rust test reads stdout.
"""
import logging
import sys

import dkim

logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="dkimpy: %(message)s")
log = logging.getLogger("dkim_peer")


def verify(selector, domain, record):
    expected = f"{selector}._domainkey.{domain}.".lower()

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        if name.lower().rstrip(".") + "." == expected:
            return record.encode()
        log.error("unexpected DNS query %s", name)
        return b""

    message = sys.stdin.buffer.read()
    try:
        ok = dkim.DKIM(message, logger=log).verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        # Some failures (a body hash mismatch) are raised rather than returned as False.
        log.error("%s", e)
        ok = False
    print("pass" if ok else "fail")


def sign(algorithm, canonicalization, selector, domain, key_file):
    header, body = canonicalization.split("/")
    with open(key_file, "rb") as f:
        key = f.read().strip()
    message = sys.stdin.buffer.read()
    field = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        key,
        canonicalize=(header.encode(), body.encode()),
        signature_algorithm=algorithm.encode(),
        logger=log,
    )
    sys.stdout.buffer.write(field)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "verify":
        verify(*args)
    elif command == "sign":
        sign(*args)
    else:
        sys.exit(f"unknown command {command!r}")
