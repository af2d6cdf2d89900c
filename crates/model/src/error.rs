//! `AppError`: the one error type every server function returns. It carries only text that is
//! safe to show a person; database and HTTP details are logged on the server, never sent.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the person must sign in.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Input failed validation; the text says what to fix.
    #[error("{0}")]
    Invalid(String),
    #[error("Not found.")]
    NotFound,
    /// Someone else changed the thing meanwhile; the text says who and what to do.
    #[error("{0}")]
    Conflict(String),
    /// Too many failed attempts; the value says when to try again.
    #[error("Too many failed sign-in attempts. Try again in {0}.")]
    TooManyAttempts(String),
    /// Something failed on the server; the details are in the server log.
    #[error("Something went wrong on the server. The details are in the server log.")]
    Internal,
    /// The request never got a proper answer (network down, server restarting...).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status that goes with the error (401, 403, 400, 404, 409, 429; 500
    /// otherwise). The server sets it for every server function and plain route from here.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::Invalid(_) => 400,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "sqlx")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}
