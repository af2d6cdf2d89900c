//! Server functions for signing in and out and for the first-run admin. These are the only
//! ones open without a session (`get_session`, `sign_in`, `create_first_admin`).

use leptos::prelude::*;
use model::error::AppError;
use model::SessionInfo;

/// Who is signed in, or whether the first admin still has to be created.
#[server(endpoint = "auth/session")]
pub async fn get_session() -> Result<SessionInfo, AppError> {
    use crate::server::Ctx;
    use domain::repo::users;
    let ctx = Ctx::get()?;
    if let Some(user) = ctx.current_user().await? {
        return signed_in(&ctx, user).await;
    }
    Ok(if users::count(ctx.pool()).await? == 0 {
        SessionInfo::NeedsFirstAdmin
    } else {
        SessionInfo::SignedOut
    })
}

#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<SessionInfo, AppError> {
    use crate::server::Ctx;
    let ctx = Ctx::get()?;
    open_session(&ctx, &email, &password).await
}

#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::Ctx;
    use domain::{accounts, auth};
    let ctx = Ctx::get()?;
    let user = ctx.require_user().await?;
    let token = ctx.session_token().unwrap_or_default();
    accounts::sign_out(ctx.pool(), ctx.clock(), &user, &token).await?;
    ctx.set_cookie(&auth::clear_cookie(ctx.secure_cookies()));
    Ok(())
}

/// First run only: creates the first admin and signs them in.
#[server(endpoint = "auth/first_admin")]
pub async fn create_first_admin(email: String, password: String) -> Result<SessionInfo, AppError> {
    use crate::server::Ctx;
    use domain::accounts;
    let ctx = Ctx::get()?;
    accounts::create_first_admin(ctx.pool(), ctx.clock(), &email, &password).await?;
    open_session(&ctx, &email, &password).await
}

/// Checks the credentials and sets a fresh session cookie: a new token at every sign-in, so a
/// session id planted before sign-in is worthless.
#[cfg(feature = "ssr")]
async fn open_session(
    ctx: &crate::server::Ctx,
    email: &str,
    password: &str,
) -> Result<SessionInfo, AppError> {
    use domain::{accounts, auth};
    let (user, token) =
        accounts::sign_in(ctx.pool(), ctx.clock(), email, password, &ctx.client_ip()).await?;
    ctx.set_cookie(&auth::session_cookie(&token, ctx.secure_cookies()));
    signed_in(ctx, user).await
}

/// A signed-in session; admins also get the page alert (see `SessionInfo::SignedIn`).
#[cfg(feature = "ssr")]
async fn signed_in(
    ctx: &crate::server::Ctx,
    user: domain::repo::users::UserRow,
) -> Result<SessionInfo, AppError> {
    use domain::repo::settings::{self, keys};
    use model::{PageAlert, Permission};
    let mut alert = None;
    if user.role().can(Permission::ManageSettings) {
        // The most pressing first: nothing goes out while the token is refused.
        let problems = [
            (keys::TOKEN_PROBLEM, "/settings", "Open Settings"),
            (keys::HANDOVER_PROBLEM, "/setup", "Open Setup"),
            (keys::HUMAN_AGENT_PROBLEM, "/setup", "Open Setup"),
        ];
        for (key, href, link) in problems {
            if let Some(text) = settings::get(ctx.pool(), key).await? {
                alert = Some(PageAlert {
                    text,
                    href: href.into(),
                    link: link.into(),
                });
                break;
            }
        }
    }
    Ok(SessionInfo::SignedIn(user.view(), alert))
}
