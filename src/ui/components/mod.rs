//! One component per file; each renders part of the state and sends actions back.

pub mod annotated;
pub mod app;
pub mod check;
pub mod controls;
pub mod ending;
pub mod explanation;
pub mod help;
pub mod icon;
pub mod inspectors;
pub mod intro;
pub mod journey;
pub mod lab;
pub mod lanes;
pub mod lesson_link;
pub mod picker;
pub mod predict;
pub mod progress_mark;
pub mod toolbar;
pub mod transcript;
pub mod transcript_step;
