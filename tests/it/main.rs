//! Integration tests: the real binary against an in-process fake STS on 127.0.0.1.
#![cfg(unix)]

#[path = "../support/mod.rs"]
mod support;

mod attacks_local;
mod attacks_sts;
mod chain;
mod chain_rules;
mod completion;
mod console;
mod core;
mod desktop;
mod everyday;
mod faults;
mod first_hour;
mod keys;
mod metadata_sources;
mod race;
mod reading;
mod role_options;
mod roles;
mod server;
mod shells;
mod sso;
mod structure;
mod switch;
mod trust_files;
mod trust_input;
mod write_profile;
