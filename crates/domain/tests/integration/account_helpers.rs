//! What the account tests (accounts.rs, sign_in.rs) share: the one password, and the account
//! operations on the system clock.

use domain::accounts::{self, AccountError};
use domain::backend::Db;
use domain::repo::{audit::Actor, users::UserRow};
use domain::Clock;
use model::Role;

pub const PASSWORD: &str = "correct horse battery";

/// An agent with [`PASSWORD`], created from the CLI.
pub async fn agent(pool: &Db, email: &str) -> UserRow {
    create_user(pool, &Actor::cli(), email, Role::Agent, PASSWORD)
        .await
        .unwrap()
}

/// The first admin, with [`PASSWORD`], and the actor they act as.
pub async fn first_admin(pool: &Db, email: &str) -> (UserRow, Actor) {
    let admin = accounts::create_first_admin(pool, &Clock::system(), email, PASSWORD)
        .await
        .unwrap();
    let actor = Actor::user(admin.id, &admin.email);
    (admin, actor)
}

/// `accounts::create_user` by `actor`, now.
pub async fn create_user(
    pool: &Db,
    actor: &Actor,
    email: &str,
    role: Role,
    password: &str,
) -> Result<UserRow, AccountError> {
    accounts::create_user(pool, &Clock::system(), actor, email, role, password).await
}

/// `accounts::sign_in` from `ip`, now: the user and the session token.
pub async fn sign_in(
    pool: &Db,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<(UserRow, String), AccountError> {
    accounts::sign_in(pool, &Clock::system(), email, password, ip).await
}
