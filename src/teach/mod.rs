//! The teaching views: what the player and the terminal show beside the bytes, derived from
//! the parsers, timelines and messages alone. [`annotate`] labels each part of a wire line,
//! [`inspect`] builds the inspectors' views of a timeline at a step, and [`explain`] words a
//! command, reply or POP3 line for a step's summary and explanation, [`imap`] does the same for
//! an IMAP client or server write, and [`journey`] draws the hosts as a network at a step:
//! where the message is, queues, refusals, the path taken. None of it runs a world.

pub mod annotate;
pub mod explain;
pub mod imap;
pub mod inspect;
pub mod journey;

/// What a secret reads as in a recording of a real session (`scenario::recording`), where it
/// was masked before it was written: a step that shows it says so instead of showing it.
pub const MASK: &str = "********";
