//! The simulated mail world: hosts, DNS, relay queues and the timeline of steps
//! that the player animates. Deterministic: no real clock, no real randomness.

pub mod auth;
pub mod config;
pub mod fault;
mod queue;
mod relay;
pub mod rng;
mod run;
mod session;
pub mod whatif;
pub mod world;

pub use config::{
    Action, DkimSigning, HostAuth, HostConfig, HostRole, RetrySchedule, SigningKeySource, WorldConfig,
};
pub use fault::{Fault, FaultAction, FaultTrigger};
pub use relay::received_for;
pub use world::World;
