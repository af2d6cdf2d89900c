//! Server functions, one file per domain. Each is thin: authorize, parse with `crate::model`,
//! call one repository/domain function, map the error to `AppError`.

pub mod settings;
