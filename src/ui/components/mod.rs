//! One component per file; each renders part of the state and sends actions back. The
//! annotated parts, inspectors, lab and predict panel are in the full module only
//! (`crate::ui::handover`).

#[cfg(feature = "full")]
pub mod annotated;
pub mod app;
pub mod awaiting;
pub mod check;
pub mod controls;
#[cfg(feature = "full")]
pub mod ending;
pub mod explanation;
#[cfg(feature = "full")]
pub mod help;
pub mod icon;
#[cfg(feature = "full")]
pub mod inspectors;
#[cfg(feature = "full")]
pub mod intro;
pub mod journey;
#[cfg(feature = "full")]
pub mod lab;
pub mod lanes;
#[cfg(feature = "full")]
pub mod lesson_link;
#[cfg(feature = "full")]
pub mod picker;
#[cfg(feature = "full")]
pub mod predict;
#[cfg(feature = "full")]
pub mod progress_mark;
pub mod toolbar;
pub mod transcript;
pub mod transcript_step;
