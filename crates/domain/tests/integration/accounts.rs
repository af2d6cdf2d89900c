//! Account rules against a real SQLite database: the first admin, the last-admin guard, bad
//! input, password resets and the audit trail, and database failures in plain words. Signing
//! in (rate limits, sessions) is sign_in.rs.

use domain::accounts::{self, AccountError};
use domain::auth;
use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::{audit, audit::Actor, sessions, users};
use domain::Clock;
use model::Role;

use crate::account_helpers::{agent, create_user, first_admin, sign_in, PASSWORD};

domain::testing::test_on_both_backends!(
    disk:
    the_first_admin_can_be_created_once,
    the_last_admin_cannot_be_demoted_or_disabled,
    password_reset_signs_the_user_out_and_changes_are_audited,
    bad_input_is_refused_with_plain_reasons,
    database_failures_say_what_failed_and_reach_the_browser_only_as_internal,
    two_admins_demoting_each_other_at_once_leave_one_admin,
);

async fn the_first_admin_can_be_created_once(pool: Db) {
    let admin = accounts::create_first_admin(&pool, &Clock::system(), "Ana@Example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(admin.email, "ana@example.com");
    assert_eq!(admin.role(), Role::Admin);
    let again =
        accounts::create_first_admin(&pool, &Clock::system(), "eve@example.com", PASSWORD).await;
    assert!(matches!(again.unwrap_err(), AccountError::NotFirstRun));
    assert_eq!(users::count(&pool).await.unwrap(), 1);
}

async fn the_last_admin_cannot_be_demoted_or_disabled(pool: Db) {
    let (admin, actor) = first_admin(&pool, "ana@example.com").await;
    let err = accounts::change_role(&pool, &Clock::system(), &actor, admin.id, Role::Agent)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only active admin"), "{err}");
    assert!(
        accounts::set_disabled(&pool, &Clock::system(), &actor, admin.id, true)
            .await
            .is_err()
    );

    let bob = create_user(&pool, &actor, "bob@example.com", Role::Admin, PASSWORD)
        .await
        .unwrap();
    let view = accounts::change_role(&pool, &Clock::system(), &actor, admin.id, Role::Editor)
        .await
        .unwrap();
    assert_eq!(view.role, Role::Editor);
    assert!(
        accounts::set_disabled(&pool, &Clock::system(), &actor, bob.id, true)
            .await
            .is_err()
    );
}

async fn password_reset_signs_the_user_out_and_changes_are_audited(pool: Db) {
    let (_, actor) = first_admin(&pool, "ana@example.com").await;
    let bob = create_user(&pool, &actor, "bob@example.com", Role::Agent, PASSWORD)
        .await
        .unwrap();
    let (_, token) = sign_in(&pool, "bob@example.com", PASSWORD, "1.2.3.4")
        .await
        .unwrap();
    accounts::reset_password(
        &pool,
        &Clock::system(),
        &actor,
        bob.id,
        "a brand new password",
    )
    .await
    .unwrap();
    assert!(
        sessions::user_for(&pool, &auth::token_hash(&token), Clock::system().now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(sign_in(&pool, "bob@example.com", PASSWORD, "1.2.3.4")
        .await
        .is_err());
    sign_in(&pool, "bob@example.com", "a brand new password", "1.2.3.4")
        .await
        .unwrap();

    let log = audit::list(&pool, None, 100).await.unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.created",
            "user.created",
            "user.signed_in",
            "user.password_reset",
            "user.sign_in_failed",
            "user.signed_in"
        ]
    );
    let secrets = [PASSWORD, "a brand new password"];
    for entry in &log {
        let text = format!("{entry:?}");
        assert!(secrets.iter().all(|s| !text.contains(s)), "{text}");
    }
}

async fn bad_input_is_refused_with_plain_reasons(pool: Db) {
    let cli = Actor::cli();
    let e = create_user(&pool, &cli, "not-an-email", Role::Agent, PASSWORD)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is not an email address"), "{e}");
    let e = create_user(&pool, &cli, "a@example.com", Role::Agent, "short")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at least 10 characters"), "{e}");
    agent(&pool, "a@example.com").await;
    let e = create_user(&pool, &cli, "A@example.com", Role::Agent, PASSWORD)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
}

async fn two_admins_demoting_each_other_at_once_leave_one_admin(pool: Db) {
    let (ana, actor) = first_admin(&pool, "ana@example.com").await;
    let bob = create_user(&pool, &actor, "bob@example.com", Role::Admin, PASSWORD)
        .await
        .unwrap();
    for round in 0..10 {
        // Each demotes the other (or disables them) at the same moment.
        let disable = round % 2 == 1;
        let bob_acts = Actor::user(bob.id, &bob.email);
        let one = tokio::spawn(demote(pool.clone(), actor.clone(), bob.id, disable));
        let two = tokio::spawn(demote(pool.clone(), bob_acts, ana.id, disable));
        let results = [one.await.unwrap(), two.await.unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        let admins: i64 = on_db!(&pool, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled")
                .fetch_one(p)
                .await
                .unwrap()
        });
        assert_eq!(admins, 1);
        // Put both back for the next round.
        on_db!(&pool, p => {
            sqlx::query("UPDATE users SET role = 'admin', disabled = FALSE")
                .execute(p)
                .await
                .unwrap();
        });
    }
}

/// `actor` makes `target` an agent, or with `disable` disables them.
async fn demote(pool: Db, actor: Actor, target: i64, disable: bool) -> Result<(), AccountError> {
    if disable {
        accounts::set_disabled(&pool, &Clock::system(), &actor, target, true)
            .await
            .map(|_| ())
    } else {
        accounts::change_role(&pool, &Clock::system(), &actor, target, Role::Agent)
            .await
            .map(|_| ())
    }
}

/// A database failure keeps its own words for the CLI and the log, and becomes the generic
/// message (500) only at the server-function boundary; a refusal keeps its reason both ways.
async fn database_failures_say_what_failed_and_reach_the_browser_only_as_internal(pool: Db) {
    agent(&pool, "ana@example.com").await;
    let again = create_user(
        &pool,
        &Actor::cli(),
        "ana@example.com",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap_err();
    assert_eq!(
        again.to_string(),
        "A user with email ana@example.com already exists."
    );
    assert_eq!(
        model::AppError::from(again),
        model::AppError::Invalid("A user with email ana@example.com already exists.".into())
    );

    pool.close().await;
    let err = create_user(
        &pool,
        &Actor::cli(),
        "bob@example.com",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountError::Database(_)), "{err:?}");
    assert!(err.to_string().starts_with("database error: "), "{err}");
    assert_eq!(model::AppError::from(err), model::AppError::Internal);
}
