"""pyspf, an SPF implementation we did not write, evaluating a table of cases.

    python spf_peer.py < table.json

stdin: {"zone": <our dns::Zone as serde writes it>, "cases": [{"ip", "sender", "helo"}, ...]}:
the zone is {"records": {name: [record, ...]}, "timeouts": [[name, type or null], ...]} and a
record is {"A": "192.0.2.1"}, {"Aaaa": "2001:db8::1"}, {"Mx": {"preference": 10, "exchange": "mx"}},
{"Txt": ["v=spf1 ...", ...]}, {"Ptr": name} or {"Cname": name}.
pyspf's DNS is replaced by a lookup in that zone, so no packet leaves the machine. Prints one
line per case: `result<TAB>explanation-or-empty`.
"""

import ipaddress
import json
import sys

import spf

ZONE = {}
TIMEOUTS = set()


def lookup(name, qtype, strict=True, timeout=None, level=0):
    """pyspf's DNSLookup contract: a list of ((name, type), value), AAAA as 16 octets, TXT as a
    tuple of byte strings, MX as (preference, exchange); CNAMEs followed one level."""
    name = name.rstrip(".").lower()
    if (name, None) in TIMEOUTS or (name, qtype) in TIMEOUTS:
        raise spf.TempError("DNS timeout")
    answers = []
    for record in ZONE.get(name, []):
        (kind, value), = record.items()
        kind = kind.upper()
        if kind == "CNAME":
            answers.append(((name, "CNAME"), value))
            if not level:
                answers.extend(lookup(value, qtype, strict, timeout, 1))
            continue
        if kind != qtype:
            continue
        if kind == "AAAA":
            value = ipaddress.IPv6Address(value).packed
        elif kind == "TXT":
            value = tuple(s.encode("utf-8") for s in value)
        elif kind == "MX":
            value = (value["preference"], value["exchange"])
        answers.append(((name, kind), value))
    return answers


spf.DNSLookup = lookup

if __name__ == "__main__":
    table = json.load(sys.stdin)
    ZONE.update({k.rstrip(".").lower(): v for k, v in table["zone"]["records"].items()})
    TIMEOUTS.update((name, kind.upper() if kind else None) for name, kind in table["zone"]["timeouts"])
    for case in table["cases"]:
        result, explanation = spf.check2(i=case["ip"], s=case["sender"], h=case["helo"])
        print(f"{result}\t{explanation if result == 'fail' else ''}")
