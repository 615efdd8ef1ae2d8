//! DNS data: the records mail routing and authentication use (RFC 1035 §3.3, RFC 3596 for
//! AAAA), a zone that answers queries, and the [`Resolver`] trait that SPF, DKIM, DMARC and
//! the world's MX routing ask. Data only, below both: the simulated world owns a [`Zone`],
//! and mail authentication asks whatever [`Resolver`] it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The record types the simulation knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Aaaa,
    Mx,
    Txt,
    Ptr,
    Cname,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ptr => "PTR",
            RecordType::Cname => "CNAME",
        })
    }
}

/// One resource record's data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Record {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// `MX preference exchange` (RFC 1035 §3.3.9); exchange `.` is a null MX (RFC 7505).
    Mx {
        preference: u16,
        exchange: String,
    },
    /// A TXT record's character-strings (RFC 1035 §3.3.14), each at most 255 octets on the
    /// wire; SPF and DKIM concatenate them without separators (RFC 7208 §3.3).
    Txt(Vec<String>),
    Ptr(String),
    Cname(String),
}

impl Record {
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::A(_) => RecordType::A,
            Record::Aaaa(_) => RecordType::Aaaa,
            Record::Mx { .. } => RecordType::Mx,
            Record::Txt(_) => RecordType::Txt,
            Record::Ptr(_) => RecordType::Ptr,
            Record::Cname(_) => RecordType::Cname,
        }
    }

    /// A TXT record's strings joined as SPF and DKIM read them.
    pub fn txt_joined(&self) -> Option<String> {
        match self {
            Record::Txt(parts) => Some(parts.concat()),
            _ => None,
        }
    }
}

impl fmt::Display for Record {
    /// Zone-file presentation form, e.g. `MX 10 mx1.example.net.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::A(ip) => write!(f, "A {ip}"),
            Record::Aaaa(ip) => write!(f, "AAAA {ip}"),
            Record::Mx { preference, exchange } => write!(f, "MX {preference} {}", absolute(exchange)),
            Record::Txt(parts) => {
                f.write_str("TXT")?;
                for part in parts {
                    write!(f, " \"{}\"", part.replace('\\', "\\\\").replace('"', "\\\""))?;
                }
                Ok(())
            }
            Record::Ptr(name) => write!(f, "PTR {}", absolute(name)),
            Record::Cname(name) => write!(f, "CNAME {}", absolute(name)),
        }
    }
}

fn absolute(name: &str) -> String {
    if name.ends_with('.') { name.to_owned() } else { format!("{name}.") }
}

/// Why a query got no records. An empty `Ok` answer is NODATA: the name exists, but
/// has no records of that type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DnsError {
    /// RCODE 3, the name does not exist (RFC 1035 §4.1.1).
    NxDomain,
    /// No answer in time, or SERVFAIL: a temporary failure.
    Timeout,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DnsError::NxDomain => "NXDOMAIN",
            DnsError::Timeout => "timeout",
        })
    }
}

/// The answer to one query.
pub type Answer = Result<Vec<Record>, DnsError>;

/// Anything that answers DNS queries: the simulated zone, a recording wrapper around it,
/// or a test's table.
pub trait Resolver {
    fn resolve(&mut self, name: &str, record_type: RecordType) -> Answer;
}

/// A name in the canonical form the zone keys by: ASCII lowercase, no trailing dot.
pub fn canonical_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The whole simulated DNS: every record of every domain in the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Zone {
    records: BTreeMap<String, Vec<Record>>,
    /// Names (and optionally one type at a name) whose queries time out.
    timeouts: BTreeSet<(String, Option<RecordType>)>,
}

/// How many CNAMEs a lookup follows before it gives up (a loop, or a silly chain).
const MAX_CNAME_CHAIN: usize = 8;

impl Zone {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record at `name`.
    pub fn add(&mut self, name: &str, record: Record) {
        self.records.entry(canonical_name(name)).or_default().push(record);
    }

    /// Makes queries for `name` (of one type, or of every type) time out.
    pub fn add_timeout(&mut self, name: &str, record_type: Option<RecordType>) {
        self.timeouts.insert((canonical_name(name), record_type));
    }

    /// Every name with records, in order, with its records.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Record])> {
        self.records.iter().map(|(name, records)| (name.as_str(), records.as_slice()))
    }

    /// Whether any record exists at `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.records.contains_key(&canonical_name(name))
    }

    fn times_out(&self, name: &str, record_type: RecordType) -> bool {
        // A scan of a set that is small, when not empty, rather than a key built per query.
        self.timeouts.iter().any(|(n, t)| n == name && t.is_none_or(|t| t == record_type))
    }
}

impl Resolver for Zone {
    /// Answers from the zone data, following CNAMEs (RFC 1035 §3.6.2).
    fn resolve(&mut self, name: &str, record_type: RecordType) -> Answer {
        let mut name = canonical_name(name);
        for _ in 0..MAX_CNAME_CHAIN {
            if self.times_out(&name, record_type) {
                return Err(DnsError::Timeout);
            }
            let Some(records) = self.records.get(&name) else { return Err(DnsError::NxDomain) };
            let matching: Vec<Record> =
                records.iter().filter(|r| r.record_type() == record_type).cloned().collect();
            if !matching.is_empty() || record_type == RecordType::Cname {
                return Ok(matching);
            }
            match records.iter().find_map(|r| if let Record::Cname(target) = r { Some(target) } else { None })
            {
                Some(target) => name = canonical_name(target),
                None => return Ok(Vec::new()),
            }
        }
        Err(DnsError::Timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        let mut zone = Zone::new();
        zone.add("example.net", Record::Mx { preference: 10, exchange: "mx1.example.net".into() });
        zone.add("mx1.example.net", Record::A(Ipv4Addr::new(192, 0, 2, 25)));
        zone.add("mail.example.net", Record::Cname("mx1.example.net".into()));
        zone.add("loop.example", Record::Cname("loop.example".into()));
        zone.add_timeout("slow.example", None);
        zone
    }

    #[test]
    fn answers_nodata_nxdomain_and_timeouts() {
        let mut zone = zone();
        assert_eq!(zone.resolve("EXAMPLE.net.", RecordType::Mx).map(|r| r.len()), Ok(1));
        assert_eq!(zone.resolve("example.net", RecordType::A), Ok(vec![]));
        assert_eq!(zone.resolve("nowhere.example", RecordType::A), Err(DnsError::NxDomain));
        assert_eq!(zone.resolve("slow.example", RecordType::Txt), Err(DnsError::Timeout));
    }

    #[test]
    fn follows_cnames_and_stops_at_loops() {
        let mut zone = zone();
        assert_eq!(
            zone.resolve("mail.example.net", RecordType::A),
            Ok(vec![Record::A(Ipv4Addr::new(192, 0, 2, 25))])
        );
        assert_eq!(zone.resolve("loop.example", RecordType::A), Err(DnsError::Timeout));
    }

    #[test]
    fn presentation_form() {
        let mx = Record::Mx { preference: 0, exchange: ".".into() };
        assert_eq!(mx.to_string(), "MX 0 .");
        assert_eq!(Record::Txt(vec!["v=spf1 -all".into()]).to_string(), "TXT \"v=spf1 -all\"");
    }
}
