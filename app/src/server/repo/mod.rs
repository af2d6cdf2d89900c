//! Repositories: every SQL query Baton runs lives under this module, one file per domain,
//! taking a pool and returning domain types. Keep SQL portable (the PostgreSQL backend reuses it).

pub mod settings;
