//! smtp-playground: an SMTP lab that runs in the browser.
//!
//! Layers, bottom first. A module may use the modules listed before it and none after it;
//! `tests/layers.rs` reads every `crate::` path in `src/` and holds the code to this order.
//! - [`rfc`]: RFC citations (`RFC 5321 §4.1.1.2`) and their RFC Editor links. Uses nothing.
//! - [`proto`]: parsers and serializers for the SMTP wire format (no I/O, no state). Uses nothing.
//! - [`engine`]: sans-IO SMTP client and server sessions, POP3. Uses `proto`.
//! - [`message`]: RFC 5322 headers, trace fields, RFC 3464 delivery reports. Uses `proto`.
//! - [`dns`]: DNS records, a zone that answers queries, the `Resolver` trait. Uses nothing.
//! - [`mailauth`]: SPF, DKIM, DMARC and the checks a step carries. Uses `dns`, `message`, `proto`, `rfc`.
//! - [`timeline`]: what a run produces: steps, lanes, snapshots (data). Uses `mailauth`, `proto`, `rfc`.
//! - [`teach`]: annotated bytes, inspector views, explanations. Uses `timeline`, `message`, `proto`, `rfc`.
//! - [`sim`]: the deterministic simulated world that writes the timeline. Uses all of the above.
//! - [`scenario`]: the scenario file format and the lesson library. Builds and runs `sim` worlds;
//!   `scenario::played` is a run as the player reads it, `scenario::service` what the page asks
//!   of the simulator.
//! - `transcript` (native only): lines as `run`, `serve` and `send` print them. Uses `timeline`.
//! - `net` (native only): `serve` and `send` over real TCP and TLS. Uses `scenario`, `sim` and below.
//! - `cli` (native only): the command line (`lessons`, `run`, `check`, `serve`, `send`). Uses `net`.
//! - `ui` (wasm32 only): the Yew player that renders what the layers below produce, and the
//!   simulator Web Worker's side (`ui::worker`, run by `src/bin/simulator.rs`). Uses any of them;
//!   the player itself links no world, scenario reader or mail authentication (issue 13).
//!   Built without the `full` feature it is the player module a lesson loads first; with it,
//!   the full player (`src/bin/player_full.rs`) that takes the page over when the lab, the
//!   inspectors or another of its parts is first needed (`ui::handover`).
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
