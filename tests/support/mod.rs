//! Helpers shared by the integration tests: a lab that drives a real server session
//! line by line, and golden files compared (or re-blessed) line by line.

pub mod golden;
pub mod lab;
