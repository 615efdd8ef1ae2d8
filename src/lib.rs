//! smtp-playground: an SMTP lab that runs in the browser.
//!
//! Layers, each depending only on the ones before it:
//! - [`proto`]: parsers and serializers for the SMTP wire format (no I/O, no state).
//! - [`engine`]: sans-IO client and server sessions (bytes in, bytes and events out).
//! - `ui` (wasm32 only): the Yew player that renders what the layers below produce.
#![forbid(unsafe_code)]

pub mod engine;
pub mod message;
pub mod proto;
pub mod scenario;
pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod ui;
