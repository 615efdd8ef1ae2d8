//! The simulated mail world: hosts, DNS, relay queues and the timeline of steps
//! that the player animates. Deterministic: no real clock, no real randomness.

pub mod dkim;
pub mod dns;
