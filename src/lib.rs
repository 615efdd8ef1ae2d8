//! smtp-playground: an SMTP lab that runs in the browser.
//!
//! Layers, each depending only on the ones before it:
//! - [`rfc`]: citations of RFC sections and their links to the RFC Editor (uses nothing).
//! - [`proto`]: parsers and serializers for the SMTP wire format (no I/O, no state).
//! - [`engine`]: sans-IO client and server sessions (bytes in, bytes and events out).
//! - [`message`]: RFC 5322 headers, trace fields and RFC 3464 delivery reports.
//! - [`dns`]: DNS records, a zone that answers queries and the `Resolver` trait (data, no world).
//! - [`mailauth`]: SPF, DKIM and DMARC, and the checks a step carries (no world).
//! - [`timeline`]: the timeline a run produces: steps, lanes, snapshots, outcome (serializable data).
//! - [`teach`]: the teaching views: annotated bytes, inspector views, plain-language explanations.
//! - [`sim`]: the deterministic simulated world that writes the timeline.
//! - [`scenario`]: the scenario file format and the lesson library.
//! - `transcript` (native only): transcript lines as `run`, `serve` and `send` print them.
//! - `net` (native only): `serve` and `send`, the same sessions over real TCP and TLS.
//! - `ui` (wasm32 only): the Yew player that renders what the layers below produce.
#![forbid(unsafe_code)]

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod dns;
pub mod engine;
pub mod mailauth;
pub mod message;
#[cfg(not(target_arch = "wasm32"))]
pub mod net;
pub mod proto;
pub mod rfc;
pub mod scenario;
pub mod sim;
pub mod teach;
pub mod timeline;
#[cfg(not(target_arch = "wasm32"))]
pub mod transcript;

#[cfg(target_arch = "wasm32")]
pub mod ui;
