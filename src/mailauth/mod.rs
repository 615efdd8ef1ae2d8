//! Mail authentication: SPF (RFC 7208), DKIM (RFC 6376, RFC 8463) and DMARC (RFC 7489), and
//! the structured [`check`]s that a timeline step carries. Nothing here needs a world: the
//! evaluators read a message, a client's address and DNS answers through
//! [`Resolver`](crate::dns::Resolver), which the world's zone implements.

pub mod check;
pub mod dkim;
pub mod dmarc;
pub mod receiver;
pub mod spf;
