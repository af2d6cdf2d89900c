//! Flow files end to end: the fixture round trip, import errors, inputs that must never panic, and
//! payloads. One test binary for all of them.

mod fixture_roundtrip;
mod import_errors;
mod never_panics;
mod payloads;
