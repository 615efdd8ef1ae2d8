//! The simulated mail world: hosts on links with latency, their SMTP and POP3 sessions,
//! relay queues and retries, the authenticating MX — and the [`Timeline`] of steps it writes
//! for the player. Deterministic: no real clock, no real randomness.
//!
//! Its files, bottom first; each uses only the ones before it (`tests/layers.rs` checks the
//! imports):
//! - `rng`: the seeded random source (uses nothing of the world).
//! - `fault`: injected faults as data, and the policy wrapper through which they strike.
//! - `whatif`: the fault that would strike a picked step (uses `fault`).
//! - `config`: what a scenario gives the world: hosts, DNS zone, actions, retry schedule.
//! - `queue`: a relay's queue entries and delivery jobs, as data.
//! - `words`: the words of writes already explained, reused for identical ones.
//! - `world`: the world's state and the primitives that write steps and snapshots.
//! - `auth`: the authenticating MX's policy wrapper and its steps; DKIM signing on the way out.
//! - `session`: connections between two hosts; hands accepted messages up through `Delivery`.
//! - `relay`: delivery, queue, MX routing, retries and DSNs; implements `Delivery`.
//! - `run`: the event loop that hands each event to `session` or `relay`.
//!
//! Every file but `rng`, `fault`, `whatif`, `config`, `queue` and `words` adds methods to one
//! [`World`], so a method of a lower file could still call one of a higher file; none does.
//! The two calls that go up — a session's accepted message and its end — go through the
//! `Delivery` trait that `session` defines and `relay` implements.
//!
//! [`Timeline`]: crate::timeline::Timeline

pub mod auth;
pub mod config;
pub mod fault;
mod queue;
mod relay;
pub mod rng;
mod run;
mod session;
pub mod whatif;
mod words;
pub mod world;

pub use config::{
    Action, DkimSigning, HostAuth, HostConfig, HostRole, Retrieval, RetrySchedule, STEP_CAP,
    SigningKeySource, WorldConfig,
};
pub use fault::{Fault, FaultAction, FaultTrigger};
pub use relay::received_for;
pub use world::World;
