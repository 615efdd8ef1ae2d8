//! proptest strategies that generate *valid* values of every protocol type: what the
//! grammar allows and the types accept, including the corners (quoted local parts with
//! `"` and `\`, U-labels, IPv6 literals, the null reverse-path, `<Postmaster>`, xtext).

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use smtp_playground::proto::enhanced::StatusClass;
use smtp_playground::proto::params::{AuthParam, EsmtpParam};
use smtp_playground::proto::{
    AddressLiteral, Body, Capability, Command, Domain, EhloReply, EnhancedStatusCode, ForwardPath, Host,
    LocalPart, MailParameters, Mailbox, Mechanism, Notify, Orcpt, RcptParameters, Reply, ReplyCode, Ret,
    ReversePath, SaslResponse,
};

/// A few real IDN labels (RFC 5890 U-labels), in NFC and lower case as IDNA2008 wants.
const U_LABELS: &[&str] = &["bücher", "例え", "παράδειγμα", "δοκιμή", "пример", "münchen", "café", "测试"];

/// `Let-dig [Ldh-str]`: letters, digits, inner hyphens.
fn ldh_label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,14}[a-zA-Z0-9])?"
}

/// An ASCII domain whose last label is alphabetic, as every TLD is, so that it never
/// reads as an IPv4 address or an enhanced status code.
pub fn ascii_domain_text() -> impl Strategy<Value = String> {
    (vec(ldh_label(), 0..3), "[a-zA-Z]{2,8}").prop_map(|(mut labels, tld)| {
        labels.push(tld);
        labels.join(".")
    })
}

/// `Domain`: LDH labels and, now and then, U-labels (RFC 6531 §3.3).
pub fn domain() -> impl Strategy<Value = Domain> {
    let label = prop_oneof![3 => ldh_label(), 1 => select(U_LABELS).prop_map(str::to_owned)];
    let tld = prop_oneof![3 => "[a-zA-Z]{2,8}", 1 => select(U_LABELS).prop_map(str::to_owned)];
    (vec(label, 0..3), tld).prop_filter_map("a valid domain", |(mut labels, tld)| {
        labels.push(tld);
        Domain::new(&labels.join(".")).ok()
    })
}

/// `address-literal`: IPv4, IPv6, or `Standardized-tag ":" 1*dcontent`.
pub fn address_literal() -> impl Strategy<Value = AddressLiteral> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| AddressLiteral::Ipv4(o.into())),
        any::<[u16; 8]>().prop_map(|s| AddressLiteral::Ipv6(s.into())),
        ("[a-zA-Z0-9-]{0,8}[a-zA-Z0-9]", "[!-Z^-~]{1,20}").prop_filter_map(
            "a general literal (its tag is not IPv6)",
            |(tag, content)| match AddressLiteral::new(&format!("{tag}:{content}")) {
                Ok(literal @ AddressLiteral::General { .. }) => Some(literal),
                _ => None,
            }
        ),
    ]
}

pub fn host() -> impl Strategy<Value = Host> {
    prop_oneof![3 => domain().prop_map(Host::Domain), 1 => address_literal().prop_map(Host::Literal)]
}

/// `Local-part`: dot-strings (ASCII or UTF-8 atoms) and quoted content, which may hold
/// spaces, `"`, `\`, empty atoms, or nothing at all.
pub fn local_part() -> impl Strategy<Value = LocalPart> {
    let atom = prop_oneof![4 => "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}", 1 => "[a-zé用户δ]{1,4}"];
    let dot_string = vec(atom, 1..4).prop_map(|atoms| atoms.join("."));
    let quoted = prop_oneof![
        "[ -~]{0,20}",
        ("[ -~]{0,8}", select(&["\"", "\\", " ", "..", "\\\"", "ü"][..]), "[ -~]{0,8}")
            .prop_map(|(a, special, b)| format!("{a}{special}{b}")),
    ];
    prop_oneof![2 => dot_string, 1 => quoted]
        .prop_filter_map("at most 64 octets", |s| LocalPart::new(&s).ok())
}

pub fn mailbox() -> impl Strategy<Value = Mailbox> {
    (local_part(), host()).prop_map(|(local, host)| Mailbox::new(local, host))
}

pub fn reverse_path() -> impl Strategy<Value = ReversePath> {
    prop_oneof![1 => Just(ReversePath::Null), 4 => mailbox().prop_map(ReversePath::Mailbox)]
}

pub fn forward_path() -> impl Strategy<Value = ForwardPath> {
    prop_oneof![1 => Just(ForwardPath::Postmaster), 4 => mailbox().prop_map(ForwardPath::Mailbox)]
}

/// Text for xtext: printable ASCII (with `+`, `=` and space, which need `+XX`), and
/// some UTF-8, which xtext carries octet by octet.
pub fn xtext_content() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[ -~]{1,30}", 1 => "[a-z+= é€]{1,12}"]
}

/// A parameter no extension defines, kept as written (`esmtp-value` excludes `=`).
fn unknown_param() -> impl Strategy<Value = EsmtpParam> {
    ("X-[A-Z0-9]{1,8}", option::of("[!-<>-~]{1,10}"))
        .prop_map(|(keyword, value)| EsmtpParam { keyword, value })
}

pub fn mail_parameters() -> impl Strategy<Value = MailParameters> {
    let body = select(&[Body::SevenBit, Body::EightBitMime, Body::BinaryMime][..]);
    let ret = select(&[Ret::Full, Ret::Hdrs][..]);
    // An identity of exactly "<>" would read back as AUTH=<> (unknown): it is not an
    // addr-spec, so it is not a valid identity.
    let auth = prop_oneof![
        Just(AuthParam::Unknown),
        xtext_content().prop_filter("not <>", |s| s != "<>").prop_map(AuthParam::Identity),
    ];
    (
        option::of(any::<u64>()),
        option::of(body),
        any::<bool>(),
        option::of(ret),
        option::of(xtext_content()),
        option::of(auth),
        vec(unknown_param(), 0..2),
    )
        .prop_map(|(size, body, smtputf8, ret, envid, auth, other)| MailParameters {
            size,
            body,
            smtputf8,
            ret,
            envid,
            auth,
            other,
        })
}

pub fn notify() -> impl Strategy<Value = Notify> {
    any::<[bool; 3]>().prop_map(|[success, failure, delay]| Notify { success, failure, delay })
}

pub fn rcpt_parameters() -> impl Strategy<Value = RcptParameters> {
    let orcpt = ("[a-zA-Z0-9-]{1,10}", prop_oneof![Just(String::new()), xtext_content()])
        .prop_map(|(addr_type, address)| Orcpt { addr_type, address });
    (option::of(notify()), option::of(orcpt), vec(unknown_param(), 0..2))
        .prop_map(|(notify, orcpt, other)| RcptParameters { notify, orcpt, other })
}

pub fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Login),
        "[A-Z0-9_-]{1,20}".prop_map(|name| Mechanism::from_name(&name)),
    ]
}

pub fn sasl_response() -> impl Strategy<Value = SaslResponse> {
    prop_oneof![1 => Just(SaslResponse::Cancel), 4 => vec(any::<u8>(), 0..48).prop_map(SaslResponse::Data)]
}

/// The argument of VRFY, EXPN, HELP and NOOP: printable text, tabs, UTF-8.
fn free_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[\t -~]{1,30}", 1 => "[a-z \"用户é]{1,10}"]
}

/// Every command, with every argument the grammar allows.
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        host().prop_map(Command::Helo),
        host().prop_map(Command::Ehlo),
        (reverse_path(), mail_parameters())
            .prop_map(|(reverse_path, params)| Command::Mail { reverse_path, params }),
        (forward_path(), rcpt_parameters())
            .prop_map(|(forward_path, params)| Command::Rcpt { forward_path, params }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        free_text().prop_map(Command::Vrfy),
        free_text().prop_map(Command::Expn),
        option::of(free_text()).prop_map(Command::Help),
        option::of(free_text()).prop_map(Command::Noop),
        Just(Command::Quit),
        Just(Command::StartTls),
        // The initial response is base64 or "=" (RFC 4954 §4); "*" only answers a 334.
        (mechanism(), option::of(vec(any::<u8>(), 0..48).prop_map(SaslResponse::Data)))
            .prop_map(|(mechanism, initial_response)| Command::Auth { mechanism, initial_response }),
    ]
}

pub fn enhanced_status_code() -> impl Strategy<Value = EnhancedStatusCode> {
    let class = select(
        &[StatusClass::Success, StatusClass::PersistentTransientFailure, StatusClass::PermanentFailure][..],
    );
    (class, 0u16..=999, 0u16..=999)
        .prop_filter_map("valid", |(class, subject, detail)| EnhancedStatusCode::new(class, subject, detail))
}

pub fn reply_code() -> impl Strategy<Value = ReplyCode> {
    (2u16..=5, 0u16..=5, 0u16..=9)
        .prop_filter_map("in the grammar", |(x, y, z)| ReplyCode::new(x * 100 + y * 10 + z))
}

/// Whether `text` would be read as an enhanced status code agreeing with `code`.
fn looks_enhanced(text: &str) -> bool {
    let first = text.split(' ').next().unwrap_or_default();
    first.parse::<EnhancedStatusCode>().is_ok()
}

/// `textstring` of a reply line: tabs, printable ASCII, UTF-8 (RFC 6531 §3.7.4), and
/// now and then a leading number that is close to an enhanced code.
fn reply_text() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[\t -~]{0,30}", 1 => "[ a-zé€]{0,10}", 1 => "[0-9.]{1,6}( [a-z]{1,5})?"]
}

/// A reply with 1 to 4 lines; an enhanced code only for 2yz/4yz/5yz and of the same
/// class (RFC 2034 §4). Without one, no line may start with something that reads as one.
pub fn reply() -> impl Strategy<Value = Reply> {
    (reply_code(), vec(reply_text(), 1..5), option::of((0u16..=999, 0u16..=999))).prop_filter_map(
        "consistent enhanced code",
        |(code, lines, enhanced)| {
            let class = match code.get() / 100 {
                2 => Some(StatusClass::Success),
                4 => Some(StatusClass::PersistentTransientFailure),
                5 => Some(StatusClass::PermanentFailure),
                _ => None,
            };
            let enhanced = match (class, enhanced) {
                (Some(class), Some((subject, detail))) => EnhancedStatusCode::new(class, subject, detail),
                _ => None,
            };
            if enhanced.is_none() && lines.iter().any(|l| looks_enhanced(l)) {
                return None;
            }
            Some(Reply { code, enhanced, lines })
        },
    )
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        prop_oneof![Just(None), (1u64..).prop_map(Some)].prop_map(Capability::Size),
        Just(Capability::EightBitMime),
        Just(Capability::Pipelining),
        Just(Capability::StartTls),
        vec(mechanism(), 0..4).prop_map(Capability::Auth),
        Just(Capability::Dsn),
        Just(Capability::SmtpUtf8),
        Just(Capability::EnhancedStatusCodes),
        Just(Capability::Chunking),
        Just(Capability::BinaryMime),
        Just(Capability::Help),
        ("X-[A-Z0-9-]{0,8}[A-Z0-9]", vec("[!-~]{1,10}", 0..3))
            .prop_map(|(keyword, params)| Capability::Other { keyword, params }),
    ]
}

pub fn ehlo_reply() -> impl Strategy<Value = EhloReply> {
    // An empty greeting is no greeting (the reply reads back without one).
    (ascii_domain_text(), option::of("[ -~]{1,30}"), vec(capability(), 0..8))
        .prop_map(|(domain, greet, capabilities)| EhloReply { domain, greet, capabilities })
}
