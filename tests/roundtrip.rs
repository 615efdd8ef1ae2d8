//! Every parser against its serializer: `parse(encode(x)) == x` for generated values of
//! every protocol type, every strict prefix of an encoded command or reply is
//! `Incomplete` (never an error), dot-stuffing is undone by the DATA reader, and a
//! known-answer table of tricky inputs (after imap-codec's `kat_inverse_*`).
#![cfg(not(target_arch = "wasm32"))]

mod strategies;

use nom::Parser;
use proptest::prelude::*;

use smtp_playground::proto::command::{command, parse_command_line};
use smtp_playground::proto::data::{DataOutcome, DataReader, LinePolicy, dot_stuff};
use smtp_playground::proto::params::{xtext_decode, xtext_encode};
use smtp_playground::proto::reply::reply;
use smtp_playground::proto::{
    AddressLiteral, Command, Domain, EhloReply, EnhancedStatusCode, ForwardPath, Host, LocalPart,
    MailParameters, Mailbox, Mechanism, RcptParameters, ReversePath, SaslResponse, abnf, address,
};
use strategies as arb;

/// Runs a streaming parser over all of `wire`, which must be consumed exactly.
fn parse_all<'a, O: std::fmt::Debug>(
    mut parser: impl Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
    wire: &'a [u8],
) -> O {
    match parser.parse(wire) {
        Ok((rest, value)) => {
            assert!(rest.is_empty(), "{:?} left over from {:?}", rest, String::from_utf8_lossy(wire));
            value
        }
        Err(e) => panic!("{:?} does not parse: {e:?}", String::from_utf8_lossy(wire)),
    }
}

/// Fails the case unless every strict prefix of `wire` answers `Incomplete` under `parser`.
fn every_prefix_incomplete<'a, O: std::fmt::Debug>(
    parser: impl Fn(&'a [u8]) -> nom::IResult<&'a [u8], O>,
    wire: &'a [u8],
) -> Result<(), TestCaseError> {
    for end in 0..wire.len() {
        let result = parser(&wire[..end]);
        prop_assert!(
            matches!(result, Err(nom::Err::Incomplete(_))),
            "prefix {:?} of {:?}: {:?}",
            String::from_utf8_lossy(&wire[..end]),
            String::from_utf8_lossy(wire),
            result
        );
    }
    Ok(())
}

/// Parses MAIL or RCPT parameters as written after the path: `esmtp-param`s, then CRLF.
fn esmtp_pairs(wire: &str) -> Vec<(String, Option<String>)> {
    let with_end = format!("{wire}\r\n");
    let (rest, pairs) = abnf::esmtp_params(with_end.as_bytes()).expect("parameters parse");
    assert_eq!(rest, b"\r\n", "{wire:?}");
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v.map(str::to_owned))).collect()
}

fn borrowed(pairs: &[(String, Option<String>)]) -> Vec<(&str, Option<&str>)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect()
}

/// The message `dot_stuff` then the DATA reader give back: line ends as CRLF, and a
/// last line without one gets it.
fn expected_data(message: &str) -> Vec<u8> {
    if message.is_empty() || message.ends_with("\r\n") {
        message.as_bytes().to_vec()
    } else {
        format!("{message}\r\n").into_bytes()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn domain_round_trips(domain in arb::domain()) {
        // A domain ends where the grammar says what follows: here the `>` of a path.
        let wire = format!("{domain}>");
        let (rest, parsed) = address::domain(wire.as_bytes()).expect("domain parses");
        prop_assert_eq!(rest, b">");
        prop_assert_eq!(&parsed, &domain);
        // Equality is by A-label; the form as written survives too.
        prop_assert_eq!(parsed.as_str(), domain.as_str());
        prop_assert_eq!(Domain::new(domain.to_ascii()).ok(), Some(domain.clone()));
    }

    #[test]
    fn address_literal_round_trips(literal in arb::address_literal()) {
        let wire = literal.to_string();
        prop_assert_eq!(parse_all(address::address_literal, wire.as_bytes()), literal.clone());
        prop_assert_eq!(wire.parse::<Host>().ok(), Some(Host::Literal(literal)));
    }

    #[test]
    fn local_part_round_trips(local in arb::local_part()) {
        let wire = format!("{}@", local.to_wire());
        let (rest, parsed) = address::local_part(wire.as_bytes()).expect("local part parses");
        prop_assert_eq!(rest, b"@");
        prop_assert_eq!(&parsed, &local);
        // The minimum quoting is a fixed point.
        prop_assert_eq!(parsed.to_wire(), local.to_wire());
    }

    #[test]
    fn mailbox_round_trips(mailbox in arb::mailbox()) {
        prop_assert_eq!(mailbox.to_string().parse::<Mailbox>().ok(), Some(mailbox.clone()));
        let wire = format!("<{mailbox}>");
        prop_assert_eq!(parse_all(address::path, wire.as_bytes()), mailbox);
    }

    #[test]
    fn reverse_path_round_trips(path in arb::reverse_path()) {
        prop_assert_eq!(path.to_string().parse::<ReversePath>().ok(), Some(path));
    }

    #[test]
    fn forward_path_round_trips(path in arb::forward_path()) {
        prop_assert_eq!(path.to_string().parse::<ForwardPath>().ok(), Some(path));
    }

    #[test]
    fn mail_parameters_round_trip(params in arb::mail_parameters()) {
        let pairs = esmtp_pairs(&params.to_wire());
        prop_assert_eq!(MailParameters::from_pairs(&borrowed(&pairs)), Ok(params));
    }

    #[test]
    fn rcpt_parameters_round_trip(params in arb::rcpt_parameters()) {
        let pairs = esmtp_pairs(&params.to_wire());
        prop_assert_eq!(RcptParameters::from_pairs(&borrowed(&pairs)), Ok(params));
    }

    #[test]
    fn xtext_round_trips(text in any::<String>()) {
        let encoded = xtext_encode(&text);
        // xtext is a valid esmtp-value: `!`..`~` without `=`, `+` only to escape.
        prop_assert!(encoded.bytes().all(|b| (33..=126).contains(&b) && b != b'='), "{:?}", encoded);
        prop_assert_eq!(xtext_decode(&encoded), Some(text));
    }

    #[test]
    fn command_round_trips(cmd in arb::command()) {
        let wire = cmd.to_bytes();
        prop_assert_eq!(command(&wire), Ok((&b""[..], cmd.clone())));
        // The server's entry point agrees.
        prop_assert_eq!(parse_command_line(&wire), Ok(cmd));
    }

    #[test]
    fn command_prefixes_are_incomplete(cmd in arb::command()) {
        every_prefix_incomplete(command, &cmd.to_bytes())?;
    }

    #[test]
    fn reply_round_trips(r in arb::reply()) {
        let wire = r.to_bytes();
        prop_assert_eq!(reply(&wire), Ok((&b""[..], r)));
    }

    /// A last line without text (`250\r\n`) is left out: its prefix `250\r` is an error,
    /// the bug `reply_prefix_ending_in_cr_is_incomplete` shows.
    #[test]
    fn reply_prefixes_are_incomplete(r in arb::reply()) {
        let last_is_bare_code = r.code.get() != 334
            && r.enhanced.is_none()
            && r.lines.last().is_some_and(String::is_empty);
        prop_assume!(!last_is_bare_code);
        every_prefix_incomplete(reply, &r.to_bytes())?;
    }

    #[test]
    fn ehlo_reply_round_trips(ehlo in arb::ehlo_reply()) {
        let wire = ehlo.to_reply().to_bytes();
        let parsed = parse_all(reply, &wire);
        prop_assert_eq!(EhloReply::from_reply(&parsed), Some(ehlo));
    }

    #[test]
    fn enhanced_status_code_round_trips(code in arb::enhanced_status_code()) {
        prop_assert_eq!(code.to_string().parse::<EnhancedStatusCode>(), Ok(code));
    }

    #[test]
    fn sasl_response_round_trips(response in arb::sasl_response()) {
        prop_assert_eq!(SaslResponse::parse(response.to_wire().as_bytes()), Some(response));
    }

    /// Text without bare CR or LF: stuffed, read back by a strict reader (in one read or
    /// split anywhere), it is the original with CRLF line ends.
    #[test]
    fn dot_stuffing_is_undone_by_the_data_reader(
        lines in proptest::collection::vec(prop_oneof!["[^\r\n]{0,40}", "\\.{1,3}[^\r\n]{0,5}"], 0..8),
        final_crlf in any::<bool>(),
        split in any::<proptest::sample::Index>(),
    ) {
        let mut message = lines.join("\r\n");
        if final_crlf && !lines.is_empty() {
            message.push_str("\r\n");
        }
        let wire = dot_stuff(message.as_bytes());
        let expected = Some(DataOutcome::Complete(expected_data(&message)));

        let mut reader = DataReader::new(LinePolicy::Strict, u64::MAX);
        prop_assert_eq!(reader.read(&wire), (wire.len(), expected.clone()));

        // Split before the last byte, so the first read cannot see the end marker.
        let at = split.index(wire.len());
        let mut reader = DataReader::new(LinePolicy::Strict, u64::MAX);
        prop_assert_eq!(reader.read(&wire[..at]), (at, None));
        prop_assert_eq!(reader.read(&wire[at..]), (wire.len() - at, expected));
    }
}

/// Tricky commands: what each parses to, its canonical form (which parses to the same
/// command), and that every strict prefix of the input is `Incomplete`.
#[test]
fn command_known_answers() {
    let table: &[(&str, &str)] = &[
        // A source route "MUST BE accepted ... and SHOULD be ignored" (§4.1.2, §C).
        ("MAIL FROM:<@a,@b:user@c>", "MAIL FROM:<user@c>"),
        ("MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", "MAIL FROM:<userc@d.bar.org>"),
        // Quoted local parts keep their content; quoting is minimal on the way out.
        ("RCPT TO:<\"a b\"@example.com>", "RCPT TO:<\"a b\"@example.com>"),
        ("MAIL FROM:<\"joe\"@example.com>", "MAIL FROM:<joe@example.com>"),
        ("MAIL FROM:<\"Joe\\,Smith\"@example.com>", "MAIL FROM:<\"Joe,Smith\"@example.com>"),
        ("RCPT TO:<\"a\\\"b\\\\c\"@example.com>", "RCPT TO:<\"a\\\"b\\\\c\"@example.com>"),
        ("RCPT TO:<\"\"@example.com>", "RCPT TO:<\"\"@example.com>"),
        ("RCPT TO:<\"a..b\"@example.com>", "RCPT TO:<\"a..b\"@example.com>"),
        // Address literals: IPv6 is written in its compressed, lower-case form.
        ("EHLO [IPv6:2001:DB8:0:0:0:0:0:1]", "EHLO [IPv6:2001:db8::1]"),
        ("RCPT TO:<user@[IPv6:2001:db8::1]>", "RCPT TO:<user@[IPv6:2001:db8::1]>"),
        ("HELO [192.0.2.1]", "HELO [192.0.2.1]"),
        ("RCPT TO:<user@[x-tag:a:b]>", "RCPT TO:<user@[x-tag:a:b]>"),
        // The null reverse-path, Postmaster with and without a domain.
        ("MAIL FROM:<>", "MAIL FROM:<>"),
        ("RCPT TO:<postmaster>", "RCPT TO:<Postmaster>"),
        ("RCPT TO:<Postmaster@Example.COM>", "RCPT TO:<Postmaster@Example.COM>"),
        // Case-insensitive verbs and keywords, a tolerated SP after the colon.
        ("mail from: <A@B.example> size=10 body=8bitmime", "MAIL FROM:<A@B.example> SIZE=10 BODY=8BITMIME"),
        // xtext in ENVID, ORCPT and AUTH= (RFC 3461 §4, RFC 4954 §5).
        ("MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc", "MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc"),
        (
            "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
            "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
        ),
        ("MAIL FROM:<john+@example.org> AUTH=<>", "MAIL FROM:<john+@example.org> AUTH=<>"),
        (
            "RCPT TO:<x@y.example> NOTIFY=delay,success ORCPT=rfc822;x+2By@y.example",
            "RCPT TO:<x@y.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;x+2By@y.example",
        ),
        // UTF-8 addresses (RFC 6531).
        ("RCPT TO:<用户@例え.jp>", "RCPT TO:<用户@例え.jp>"),
        ("MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8", "MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8"),
        // An empty initial response is "=" (RFC 4954 §4).
        ("AUTH PLAIN =", "AUTH PLAIN ="),
        ("auth login", "AUTH LOGIN"),
        ("BDAT 0 last", "BDAT 0 LAST"),
        ("VRFY \"Joe Smith\"", "VRFY \"Joe Smith\""),
        ("noop", "NOOP"),
    ];
    for (input, canonical) in table {
        let wire = format!("{input}\r\n");
        let (rest, cmd) = command(wire.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e:?}"));
        assert!(rest.is_empty(), "{input}");
        assert_eq!(cmd.to_line(), *canonical, "{input}");
        assert_eq!(command(&cmd.to_bytes()), Ok((&b""[..], cmd.clone())), "{canonical}");
        for end in 0..wire.len() {
            let result = command(&wire.as_bytes()[..end]);
            assert!(matches!(result, Err(nom::Err::Incomplete(_))), "{:?}: {result:?}", &wire[..end]);
        }
    }
}

/// The values behind a few of the answers above.
#[test]
fn command_known_values() {
    let parse = |line: &str| command(format!("{line}\r\n").as_bytes()).map(|(_, c)| c).expect(line);
    let Command::Rcpt { forward_path, .. } = parse("RCPT TO:<\"a b\"@example.com>") else { panic!("RCPT") };
    let mailbox = forward_path.mailbox().expect("a mailbox");
    assert_eq!(mailbox.local_part(), &LocalPart::new("a b").expect("valid"));
    assert_eq!(
        parse("AUTH PLAIN ="),
        Command::Auth { mechanism: Mechanism::Plain, initial_response: Some(SaslResponse::Data(vec![])) }
    );
    let Command::Ehlo(Host::Literal(AddressLiteral::Ipv6(ip))) = parse("EHLO [IPv6:2001:db8::1]") else {
        panic!("IPv6 literal")
    };
    assert_eq!(ip, "2001:db8::1".parse::<std::net::Ipv6Addr>().expect("ip"));
    let Command::Mail { reverse_path, .. } = parse("MAIL FROM:<@a,@b:user@c>") else { panic!("MAIL") };
    assert_eq!(reverse_path.mailbox().and_then(Mailbox::domain).map(Domain::as_str), Some("c"));
}

/// Inputs that are not SMTP are errors, not `Incomplete`: a caller must not wait for
/// more bytes that cannot help.
#[test]
fn command_known_errors() {
    for wire in [
        &b"FROB\r\n"[..],
        b"MAIL FROM:<a@b.example>\n",
        b"MAIL FROM:a@b.example\r\n",
        b"RCPT TO:<a@-bad.example>\r\n",
        b"RCPT TO:<a@b..example>\r\n",
        b"EHLO [256.0.0.1]\r\n",
        b"AUTH PLAIN !!!\r\n",
        b"AUTH PLAIN *\r\n",
        b"MAIL FROM:<a@b.example> SIZE=big\r\n",
        b"MAIL FROM:<a@b.example> ENVID=a=b\r\n",
    ] {
        let result = command(wire);
        assert!(matches!(result, Err(nom::Err::Error(_))), "{:?}: {result:?}", String::from_utf8_lossy(wire));
    }
}

/// Replies: wire form ⇄ value, for the shapes that matter.
#[test]
fn reply_known_answers() {
    let ok = |wire: &[u8]| parse_all(reply, wire);
    let r = ok(b"550 5.1.1 <nobody@example.net>: User unknown\r\n");
    assert_eq!(r.enhanced.map(|e| e.to_string()).as_deref(), Some("5.1.1"));
    // A code whose class disagrees with the reply is text (RFC 2034 §4).
    assert_eq!(ok(b"250 5.1.1 odd\r\n").enhanced, None);
    // The SP after 334 is kept even with an empty challenge (RFC 4954 §4).
    assert_eq!(ok(b"334 \r\n").to_bytes(), b"334 \r\n");
    assert_eq!(ok(b"220\r\n").lines, [""]);
    let multi = ok(b"250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    assert_eq!(multi.lines, ["mx.example.net", "PIPELINING", "8BITMIME"]);
    assert!(matches!(reply(b"250-a\r\n251 b\r\n"), Err(nom::Err::Error(_))));
    assert!(matches!(reply(b"199 no\r\n"), Err(nom::Err::Error(_))));
}

/// A TCP segment may end between the CR and the LF of a reply without text.
#[test]
fn reply_prefix_ending_in_cr_is_incomplete() {
    for prefix in [&b"220\r"[..], b"250-a\r\n250\r"] {
        let result = reply(prefix);
        assert!(
            matches!(result, Err(nom::Err::Incomplete(_))),
            "{:?}: {result:?}",
            String::from_utf8_lossy(prefix)
        );
    }
}

/// Known SASL responses: `=` is empty data, `*` cancels (RFC 4954 §4).
#[test]
fn sasl_known_answers() {
    assert_eq!(SaslResponse::parse(b"="), Some(SaslResponse::Data(vec![])));
    assert_eq!(SaslResponse::parse(b"*"), Some(SaslResponse::Cancel));
    assert_eq!(
        SaslResponse::parse(b"dGVzdAB0ZXN0ADEyMzQ="),
        Some(SaslResponse::Data(b"test\0test\x001234".to_vec()))
    );
}
