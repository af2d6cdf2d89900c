//! The request context of a server function and the one role check every server function
//! goes through ([`Ctx::require`]).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts, HeaderValue};
use domain::auth::{client_ip, token_from_headers, token_hash};
use domain::repo::{sessions, users::UserRow};
use domain::Clock;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use model::error::AppError;
use model::Permission;

use super::state::{state, AppState};

/// Everything a server function needs from its request, taken from the Leptos context
/// **synchronously, before the first `.await`** (context lookups after an await can run
/// without the request's owner). Every server function starts with `Ctx::get()?` and then
/// goes through [`Ctx::require`] / [`Ctx::require_user`]: the one role check.
pub struct Ctx {
    pub state: AppState,
    parts: Option<Parts>,
    response: Option<ResponseOptions>,
}

impl Ctx {
    pub fn get() -> Result<Self, AppError> {
        Ok(Self {
            state: state()?,
            parts: use_context::<Parts>(),
            response: use_context::<ResponseOptions>(),
        })
    }

    pub fn pool(&self) -> &domain::backend::Db {
        &self.state.pool
    }

    /// The server's clock.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The session token from the request's cookie, if any.
    pub fn session_token(&self) -> Option<String> {
        self.parts
            .as_ref()
            .and_then(|p| token_from_headers(&p.headers))
    }

    /// The client IP: the socket's peer, or behind a trusted reverse proxy the address it
    /// forwarded (see [`client_ip`]); "unknown" without a socket (in-process tests).
    pub fn client_ip(&self) -> String {
        let Some(parts) = self.parts.as_ref() else {
            return "unknown".into();
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        client_ip(peer, &parts.headers, &self.state.config.trusted_proxies)
            .map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }

    /// Whether cookies must be marked Secure (Baton is reached over https).
    pub fn secure_cookies(&self) -> bool {
        self.state
            .config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Adds a `Set-Cookie` header to the response.
    pub fn set_cookie(&self, value: &str) {
        if let (Some(resp), Ok(value)) = (&self.response, HeaderValue::from_str(value)) {
            resp.append_header(header::SET_COOKIE, value);
        }
    }

    /// The signed-in user of this request, if the cookie names a live session.
    pub async fn current_user(&self) -> Result<Option<UserRow>, AppError> {
        let Some(token) = self.session_token() else {
            return Ok(None);
        };
        Ok(sessions::user_for(self.pool(), &token_hash(&token), self.state.clock.now()).await?)
    }

    /// Any signed-in user, else 401.
    pub async fn require_user(&self) -> Result<UserRow, AppError> {
        match self.current_user().await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(AppError::Unauthorized),
            Err(e) => Err(e),
        }
    }

    /// A signed-in user whose role has `permission`, else 401 / 403.
    pub async fn require(&self, permission: Permission) -> Result<UserRow, AppError> {
        let user = self.require_user().await?;
        if user.role().can(permission) {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }
}
