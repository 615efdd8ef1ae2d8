//! `date-time` (RFC 5322 §3.3, obsolete forms §4.3), to and from Unix seconds.
//!
//! ```text
//! date-time   = [ day-of-week "," ] date time [CFWS]
//! day-of-week = ([FWS] day-name) / obs-day-of-week
//! date        = day month year
//! day         = ([FWS] 1*2DIGIT FWS) / obs-day
//! year        = (FWS 4*DIGIT FWS) / obs-year          ; obs-year = [CFWS] 2*DIGIT [CFWS]
//! time        = time-of-day zone
//! time-of-day = hour ":" minute [ ":" second ]
//! zone        = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone
//! ```
//!
//! The calendar arithmetic is Howard Hinnant's `days_from_civil`/`civil_from_days`
//! (proleptic Gregorian), so no clock and no date library are needed.

use std::fmt;

use crate::proto::push_decimal;

/// 1900-01-01T00:00:00Z: RFC 5322 §3.3 years are "1900 or later".
const MIN_SECONDS: i64 = -2_208_988_800;
/// 9999-12-31T23:59:59Z: the last moment with a four-digit year.
const MAX_SECONDS: i64 = 253_402_300_799;
/// `+9959`: a zone is two digits of hours and two of minutes (RFC 5322 §3.3).
const MAX_OFFSET_MINUTES: i16 = 99 * 60 + 59;

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A moment and the zone offset it is written in: the meaning of an RFC 5322 §3.3
/// `date-time`. `Display` is [`format_date`], `FromStr` is [`parse_date`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z, leap seconds not counted.
    pub unix_seconds: i64,
    /// The zone: minutes east of UTC, e.g. `-240` for `-0400` (RFC 5322 §3.3 `zone`).
    pub offset_minutes: i16,
}

impl DateTime {
    /// A moment written in UTC (`+0000`, as RFC 5322 §3.3 recommends for Universal Time).
    pub const fn utc(unix_seconds: i64) -> Self {
        Self { unix_seconds, offset_minutes: 0 }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_date(self.unix_seconds, self.offset_minutes))
    }
}

impl std::str::FromStr for DateTime {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_date(s)
    }
}

/// Why text is not an RFC 5322 §3.3 `date-time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// The grammar wanted `expected` where the text has `saw` (empty at the end of input).
    Expected {
        /// What the grammar allows here.
        expected: &'static str,
        /// What the text has instead.
        saw: String,
    },
    /// Well-formed but not a real moment (RFC 5322 §3.3: "MUST be semantically valid").
    Invalid(String),
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expected { expected, saw } if saw.is_empty() => {
                write!(f, "date-time: expected {expected}, saw the end of the text")
            }
            Self::Expected { expected, saw } => write!(f, "date-time: expected {expected}, saw '{saw}'"),
            Self::Invalid(why) => write!(f, "date-time: {why} (RFC 5322 §3.3)"),
        }
    }
}

impl std::error::Error for DateError {}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small by construction: day 1..=31, month 1..=12.
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// 0 = Sunday; 1970-01-01 was a Thursday.
fn weekday(days: i64) -> usize {
    usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Writes a `date-time` (RFC 5322 §3.3) such as `Tue, 25 Nov 2026 02:23:30 +0000`: the
/// moment `unix_seconds` as local time in the zone `offset_minutes` east of UTC.
///
/// Writes no obsolete forms (RFC 5321 §4.4 forbids them in trace fields). The offset is
/// clamped to ±99:59, the most a `zone` can say, and the local time to the years 1900 to
/// 9999 (§3.3: "1900 or later"; four digits), so the result always parses back.
pub fn format_date(unix_seconds: i64, offset_minutes: i16) -> String {
    let offset = offset_minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES);
    let local = unix_seconds.saturating_add(i64::from(offset) * 60).clamp(MIN_SECONDS, MAX_SECONDS);
    let (days, seconds_of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let day_name = DAY_NAMES.get(weekday(days)).copied().unwrap_or("Sun");
    let month_name = MONTH_NAMES.get((month as usize).saturating_sub(1)).copied().unwrap_or("Jan");
    let (hour, minute, second) = (seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
    let sign = if offset < 0 { '-' } else { '+' };
    let (zone_hours, zone_minutes) = (offset.unsigned_abs() / 60, offset.unsigned_abs() % 60);
    // "{day_name}, {day} {month_name} {year:04} {hour:02}:{minute:02}:{second:02}
    // {sign}{zone_hours:02}{zone_minutes:02}", pushed piece by piece: every message a run
    // takes is stamped with a date.
    let number = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut out = String::with_capacity(32);
    out.push_str(day_name);
    out.push_str(", ");
    push_decimal(&mut out, u64::from(day), 1);
    out.push(' ');
    out.push_str(month_name);
    out.push(' ');
    push_decimal(&mut out, number(year), 4);
    out.push(' ');
    push_decimal(&mut out, number(hour), 2);
    out.push(':');
    push_decimal(&mut out, number(minute), 2);
    out.push(':');
    push_decimal(&mut out, number(second), 2);
    out.push(' ');
    out.push(sign);
    push_decimal(&mut out, u64::from(zone_hours), 2);
    push_decimal(&mut out, u64::from(zone_minutes), 2);
    out
}

/// Writes an IMAP `date-time` (RFC 9051 §9: `date-day-fixed "-" date-month "-" date-year SP
/// time SP zone`, without its quotes) in UTC, such as ` 5-Dec-2026 04:24:27 +0000`: a
/// message's INTERNALDATE (§2.3.3). Clamped to the years 1900 to 9999 like [`format_date`].
pub fn format_imap_date(unix_seconds: i64) -> String {
    let local = unix_seconds.clamp(MIN_SECONDS, MAX_SECONDS);
    let (days, seconds_of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let month_name = MONTH_NAMES.get((month as usize).saturating_sub(1)).copied().unwrap_or("Jan");
    let (hour, minute, second) = (seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
    format!("{day:>2}-{month_name}-{year:04} {hour:02}:{minute:02}:{second:02} +0000")
}

/// A lexical token of a `date-time` once comments and white space are gone.
#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Comma,
    Colon,
}

impl Token<'_> {
    fn text(&self) -> &str {
        match self {
            Token::Word(word) => word,
            Token::Comma => ",",
            Token::Colon => ":",
        }
    }
}

/// Splits a `date-time` into words, `,` and `:`, dropping CFWS (RFC 5322 §3.2.2), so that the
/// obsolete forms, which allow CFWS between every token (§4.3), parse too.
fn tokens(text: &str) -> Result<Vec<Token<'_>>, DateError> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            b':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            b'(' => i = skip_comment(bytes, i)?,
            b if b.is_ascii_alphanumeric() || b == b'+' || b == b'-' => {
                let start = i;
                while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'-') {
                    i += 1;
                }
                tokens.push(Token::Word(text.get(start..i).unwrap_or_default()));
            }
            _ => {
                let saw =
                    text.get(i..).and_then(|rest| rest.chars().next()).map(String::from).unwrap_or_default();
                return Err(DateError::Expected { expected: "a date-time token", saw });
            }
        }
    }
    Ok(tokens)
}

/// `comment = "(" *([FWS] ccontent) [FWS] ")"`, nested, with quoted-pairs (RFC 5322 §3.2.2);
/// returns the index after the closing parenthesis.
pub(crate) fn skip_comment(bytes: &[u8], open: usize) -> Result<usize, DateError> {
    let mut depth = 0usize;
    let mut i = open;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(DateError::Expected { expected: "')' to close the comment", saw: String::new() })
}

struct Cursor<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn saw(&self) -> String {
        self.peek().map(|token| token.text().to_owned()).unwrap_or_default()
    }

    fn word(&mut self, expected: &'static str) -> Result<&'a str, DateError> {
        match self.tokens.get(self.next) {
            Some(Token::Word(word)) => {
                self.next += 1;
                Ok(word)
            }
            _ => Err(DateError::Expected { expected, saw: self.saw() }),
        }
    }

    fn number(
        &mut self,
        expected: &'static str,
        digits: std::ops::RangeInclusive<usize>,
    ) -> Result<u32, DateError> {
        let word = self.word(expected)?;
        if !digits.contains(&word.len()) || !word.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateError::Expected { expected, saw: word.to_owned() });
        }
        word.parse().map_err(|_| DateError::Expected { expected, saw: word.to_owned() })
    }

    fn punct(&mut self, token: Token<'static>, expected: &'static str) -> Result<(), DateError> {
        if self.peek() == Some(&token) {
            self.next += 1;
            Ok(())
        } else {
            Err(DateError::Expected { expected, saw: self.saw() })
        }
    }
}

/// `zone = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone` (RFC 5322 §3.3, §4.3), in minutes east of UTC.
///
/// `UT`, `GMT` and the military and unknown alphabetic zones mean `-0000` (§4.3: "SHOULD all
/// be considered equivalent to -0000"), which is offset 0.
fn zone(word: &str) -> Result<i16, DateError> {
    let invalid =
        || DateError::Expected { expected: "a zone such as +0000, -0430 or GMT", saw: word.to_owned() };
    if let Some((sign, digits)) =
        word.strip_prefix('+').map(|d| (1, d)).or_else(|| word.strip_prefix('-').map(|d| (-1, d)))
    {
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let hours: i16 = digits.get(..2).and_then(|h| h.parse().ok()).ok_or_else(invalid)?;
        let minutes: i16 = digits.get(2..).and_then(|m| m.parse().ok()).ok_or_else(invalid)?;
        if minutes > 59 {
            return Err(DateError::Invalid(format!("zone {word} has more than 59 minutes")));
        }
        return Ok(sign * (hours * 60 + minutes));
    }
    if word.is_empty() || word.len() > 5 || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    Ok(match word.to_ascii_uppercase().as_str() {
        "EDT" => -4 * 60,
        "EST" | "CDT" => -5 * 60,
        "CST" | "MDT" => -6 * 60,
        "MST" | "PDT" => -7 * 60,
        "PST" => -8 * 60,
        _ => 0,
    })
}

/// Reads a `date-time` (RFC 5322 §3.3), obsolete forms included (§4.3): optional day of week,
/// two- and three-digit years, comments and white space between tokens, and the zones `UT`,
/// `GMT`, `EST`…`PDT` and military letters.
///
/// Checks what §3.3 requires of a real date: the day exists in the month, the time is at most
/// 23:59:60, the zone's minutes are at most 59, and the day of week matches the date.
pub fn parse_date(text: &str) -> Result<DateTime, DateError> {
    let mut cursor = Cursor { tokens: tokens(text)?, next: 0 };
    // 1. [ day-of-week "," ]
    let day_name = match cursor.peek() {
        Some(Token::Word(word)) if word.bytes().all(|b| b.is_ascii_alphabetic()) => {
            let word = *word;
            let index =
                DAY_NAMES.iter().position(|name| name.eq_ignore_ascii_case(word)).ok_or_else(|| {
                    DateError::Expected {
                        expected: "a day name (Mon to Sun) or a day number",
                        saw: word.to_owned(),
                    }
                })?;
            cursor.next += 1;
            cursor.punct(Token::Comma, "',' after the day of week")?;
            Some(index)
        }
        _ => None,
    };
    // 2. date = day month year
    let day = cursor.number("a day of the month (1 or 2 digits)", 1..=2)?;
    let month_word = cursor.word("a month name (Jan to Dec)")?;
    let month = MONTH_NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(month_word))
        .and_then(|i| u32::try_from(i + 1).ok())
        .ok_or_else(|| DateError::Expected {
            expected: "a month name (Jan to Dec)",
            saw: month_word.to_owned(),
        })?;
    const YEAR: &str = "a year (4 digits, or 2 or 3 in the obsolete form)";
    let year_digits = cursor.tokens.get(cursor.next).map_or(0, |token| token.text().len());
    let year_number = i64::from(cursor.number(YEAR, 2..=4)?);
    // §4.3: two-digit 00–49 are 2000–2049; two-digit 50–99 and three-digit years count from 1900.
    let year = match (year_digits, year_number) {
        (2, 0..=49) => year_number + 2000,
        (2 | 3, _) => year_number + 1900,
        _ => year_number,
    };
    if year < 1900 {
        return Err(DateError::Invalid(format!("year {year} is before 1900")));
    }
    // 3. time-of-day = hour ":" minute [ ":" second ]
    let hour = cursor.number("an hour (2 digits)", 2..=2)?;
    cursor.punct(Token::Colon, "':' between hour and minute")?;
    let minute = cursor.number("a minute (2 digits)", 2..=2)?;
    let second = if cursor.peek() == Some(&Token::Colon) {
        cursor.next += 1;
        cursor.number("a second (2 digits)", 2..=2)?
    } else {
        0
    };
    // 4. zone, then nothing but CFWS.
    let offset = zone(cursor.word("a zone such as +0000, -0430 or GMT")?)?;
    if cursor.peek().is_some() {
        return Err(DateError::Expected { expected: "the end of the date-time", saw: cursor.saw() });
    }
    // 5. Semantic validity (§3.3).
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err(DateError::Invalid(format!("{month_word} {year} has no day {day}")));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(DateError::Invalid(format!("{hour:02}:{minute:02}:{second:02} is not a time of day")));
    }
    let days = days_from_civil(year, month, day);
    if let Some(index) = day_name
        && index != weekday(days)
    {
        let (named, actual) = (DAY_NAMES.get(index), DAY_NAMES.get(weekday(days)));
        return Err(DateError::Invalid(format!(
            "{day} {month_word} {year} is a {}, not a {}",
            actual.unwrap_or(&"?"),
            named.unwrap_or(&"?")
        )));
    }
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Ok(DateTime { unix_seconds: local - i64::from(offset) * 60, offset_minutes: offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_known_answers() {
        for (seconds, offset, text) in [
            (0, 0, "Thu, 1 Jan 1970 00:00:00 +0000"),
            (1_795_573_410, 0, "Wed, 25 Nov 2026 02:23:30 +0000"),
            (1_795_573_410, 60, "Wed, 25 Nov 2026 03:23:30 +0100"),
            (1_795_573_410, -180, "Tue, 24 Nov 2026 23:23:30 -0300"),
            (773_615_765, -240, "Thu, 7 Jul 1994 17:16:05 -0400"),
            (951_782_400, 0, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (-2_208_988_800, 0, "Mon, 1 Jan 1900 00:00:00 +0000"),
            (4_102_444_800, 330, "Fri, 1 Jan 2100 05:30:00 +0530"),
            // Clamped: before 1900, and an offset beyond ±99:59.
            (i64::MIN, 0, "Mon, 1 Jan 1900 00:00:00 +0000"),
            (i64::MAX, i16::MAX, "Fri, 31 Dec 9999 23:59:59 +9959"),
        ] {
            assert_eq!(format_date(seconds, offset), text, "{seconds} {offset}");
        }
    }

    #[test]
    fn parse_known_answers() {
        for (text, seconds, offset) in [
            ("Wed, 25 Nov 2026 02:23:30 +0000", 1_795_573_410, 0),
            ("25 Nov 2026 02:23:30 +0000", 1_795_573_410, 0),
            ("Thu, 7 Jul 1994 17:16:05 -0400", 773_615_765, -240),
            ("Thu, 07 Jul 1994 17:16:05 -0400 (EDT)", 773_615_765, -240),
            // Obsolete forms (RFC 5322 §4.3).
            ("Thu, 7 Jul 94 17:16:05 EDT", 773_615_765, -240),
            ("Thu, 7 Jul 094 21:16:05 GMT", 773_615_765, 0),
            ("thu , 7 jul 1994 21 : 16 : 05 UT", 773_615_765, 0),
            ("Thu,\r\n 7 Jul 1994 (a (nested) comment) 21:16:05 Z", 773_615_765, 0),
            ("1 Jan 00 00:00 PST", 946_713_600, -480),
            ("1 Jan 2000 00:00 XYZ", 946_684_800, 0),
            ("Sat, 1 Jan 2000 00:00:60 +0000", 946_684_860, 0),
        ] {
            assert_eq!(
                parse_date(text),
                Ok(DateTime { unix_seconds: seconds, offset_minutes: offset }),
                "{text}"
            );
        }
    }

    #[test]
    fn parse_errors_say_what_was_expected() {
        for (text, error) in [
            ("", "date-time: expected a day of the month (1 or 2 digits), saw the end of the text"),
            ("Tue 25 Nov 2026 02:23:30 +0000", "date-time: expected ',' after the day of week, saw '25'"),
            ("Wed, 25 Foo 2026 02:23:30 +0000", "date-time: expected a month name (Jan to Dec), saw 'Foo'"),
            (
                "Wed, 25 Nov 2026 02:23:30",
                "date-time: expected a zone such as +0000, -0430 or GMT, saw the end of the text",
            ),
            (
                "Wed, 25 Nov 2026 02:23:30 +000",
                "date-time: expected a zone such as +0000, -0430 or GMT, saw '+000'",
            ),
            (
                "Wed, 25 Nov 2026 02:23:30 +0000 extra",
                "date-time: expected the end of the date-time, saw 'extra'",
            ),
            ("Tue, 25 Nov 2026 02:23:30 +0000", "date-time: 25 Nov 2026 is a Wed, not a Tue (RFC 5322 §3.3)"),
            ("30 Feb 2026 02:23:30 +0000", "date-time: Feb 2026 has no day 30 (RFC 5322 §3.3)"),
            ("1 Jan 2026 24:00:00 +0000", "date-time: 24:00:00 is not a time of day (RFC 5322 §3.3)"),
            ("1 Jan 2026 00:00:00 +0060", "date-time: zone +0060 has more than 59 minutes (RFC 5322 §3.3)"),
            ("1 Jan 1899 00:00:00 +0000", "date-time: year 1899 is before 1900 (RFC 5322 §3.3)"),
            (
                "1 Jan 2026 00:00:00 +0000 (open",
                "date-time: expected ')' to close the comment, saw the end of the text",
            ),
            ("1 Jan 2026 00;00 +0000", "date-time: expected a date-time token, saw ';'"),
            ("1 Jan 0049 00:00 +0000", "date-time: year 49 is before 1900 (RFC 5322 §3.3)"),
            (
                "1 Jan 99999 00:00 +0000",
                "date-time: expected a year (4 digits, or 2 or 3 in the obsolete form), saw '99999'",
            ),
        ] {
            assert_eq!(parse_date(text).map_err(|e| e.to_string()), Err(error.to_owned()), "{text}");
        }
    }

    #[test]
    fn calendar_helpers_agree() {
        for days in [-1_000_000, -25_567, -1, 0, 1, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(weekday(0), 4);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_inverts_format(
            seconds in (MIN_SECONDS + 6000 * 60)..(MAX_SECONDS - 6000 * 60),
            offset in -MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES,
        ) {
            let text = format_date(seconds, offset);
            prop_assert_eq!(parse_date(&text), Ok(DateTime { unix_seconds: seconds, offset_minutes: offset }), "{}", text);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,60}") {
            let _ = parse_date(&text);
        }

        #[test]
        fn date_like_text_never_panics(text in "[A-Za-z]{0,4},? ?[0-9]{0,3} [A-Za-z]{0,4} [0-9]{0,6} [0-9:]{0,9} [-+A-Z0-9]{0,6}") {
            let _ = parse_date(&text);
        }
    }
}
