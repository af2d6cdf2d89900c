//! Server functions for the Users screen (admins only).

use leptos::prelude::*;
use model::error::AppError;
use model::UserView;

#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::server::Ctx;
    use domain::repo::users;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::ManageUsers).await?;
    Ok(users::list(ctx.pool())
        .await?
        .iter()
        .map(|u| u.view())
        .collect())
}

#[server(endpoint = "users/create")]
pub async fn create_user(
    email: String,
    role: String,
    password: String,
) -> Result<UserView, AppError> {
    use crate::server::Ctx;
    use domain::{accounts, repo::audit::Actor};
    use model::{Permission, Role};
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageUsers).await?;
    let role = Role::parse(&role).map_err(AppError::Invalid)?;
    let actor = Actor::user(admin.id, &admin.email);
    let user =
        accounts::create_user(ctx.pool(), ctx.clock(), &actor, &email, role, &password).await?;
    Ok(user.view())
}

#[server(endpoint = "users/set_role")]
pub async fn set_user_role(id: i64, role: String) -> Result<UserView, AppError> {
    use crate::server::Ctx;
    use domain::{accounts, repo::audit::Actor};
    use model::{Permission, Role};
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageUsers).await?;
    let role = Role::parse(&role).map_err(AppError::Invalid)?;
    let actor = Actor::user(admin.id, &admin.email);
    Ok(accounts::change_role(ctx.pool(), ctx.clock(), &actor, id, role).await?)
}

#[server(endpoint = "users/set_disabled")]
pub async fn set_user_disabled(id: i64, disabled: bool) -> Result<UserView, AppError> {
    use crate::server::Ctx;
    use domain::{accounts, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageUsers).await?;
    let actor = Actor::user(admin.id, &admin.email);
    Ok(accounts::set_disabled(ctx.pool(), ctx.clock(), &actor, id, disabled).await?)
}

#[server(endpoint = "users/reset_password")]
pub async fn reset_user_password(id: i64, password: String) -> Result<(), AppError> {
    use crate::server::Ctx;
    use domain::{accounts, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageUsers).await?;
    let actor = Actor::user(admin.id, &admin.email);
    Ok(accounts::reset_password(ctx.pool(), ctx.clock(), &actor, id, &password).await?)
}
