//! Account rules against a real SQLite database: first admin, sign-in with rate limiting and
//! no user enumeration, the last-admin guard, session expiry and the audit trail.

use domain::accounts::AccountError;
use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::{audit, audit::Actor, login_limits, sessions, users};
use domain::Clock;
use domain::{accounts, auth};
use model::Role;

const PASSWORD: &str = "correct horse battery";

domain::testing::test_on_both_backends!(
    disk:
    the_first_admin_can_be_created_once,
    sign_in_gives_one_message_for_wrong_email_and_wrong_password,
    five_failures_lock_the_account_even_for_the_right_password,
    five_failures_from_one_ip_lock_that_ip_for_every_account,
    sessions_expire_when_idle_and_absolutely,
    the_last_admin_cannot_be_demoted_or_disabled,
    password_reset_signs_the_user_out_and_changes_are_audited,
    bad_input_is_refused_with_plain_reasons,
    a_right_password_takes_its_own_count_back,
    an_overlong_email_or_password_is_refused_before_any_work,
    database_failures_say_what_failed_and_reach_the_browser_only_as_internal,
    a_parallel_burst_of_guesses_gets_no_more_than_the_limit,
    two_admins_demoting_each_other_at_once_leave_one_admin,
    simultaneous_attempts_on_one_scope_never_pass_the_limit,
);

async fn agent(pool: &Db, email: &str) -> users::UserRow {
    accounts::create_user(
        pool,
        &Clock::system(),
        &Actor::cli(),
        email,
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap()
}

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

async fn sign_in_gives_one_message_for_wrong_email_and_wrong_password(pool: Db) {
    agent(&pool, "ana@example.com").await;
    let wrong_pw = accounts::sign_in(
        &pool,
        &Clock::system(),
        "ana@example.com",
        "nope nope nope",
        "1.1.1.1",
    )
    .await
    .unwrap_err();
    let no_user = accounts::sign_in(
        &pool,
        &Clock::system(),
        "bob@example.com",
        PASSWORD,
        "1.1.1.2",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(wrong_pw, AccountError::BadCredentials),
        "{wrong_pw:?}"
    );
    assert!(
        matches!(no_user, AccountError::BadCredentials),
        "{no_user:?}"
    );
    assert_eq!(wrong_pw.to_string(), accounts::BAD_CREDENTIALS);

    let (user, token) = accounts::sign_in(
        &pool,
        &Clock::system(),
        " ANA@example.com ",
        PASSWORD,
        "1.1.1.1",
    )
    .await
    .unwrap();
    let found = sessions::user_for(&pool, &auth::token_hash(&token), Clock::system().now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, user.id);
}

async fn five_failures_lock_the_account_even_for_the_right_password(pool: Db) {
    agent(&pool, "ana@example.com").await;
    for i in 0..login_limits::MAX_FAILURES {
        // A different IP each time: the per-account limit must still apply.
        let ip = format!("10.0.0.{i}");
        let err = accounts::sign_in(
            &pool,
            &Clock::system(),
            "ana@example.com",
            "wrong password!",
            &ip,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AccountError::BadCredentials), "{err:?}");
    }
    let err = accounts::sign_in(
        &pool,
        &Clock::system(),
        "ana@example.com",
        PASSWORD,
        "10.0.1.1",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountError::Locked(_)), "{err:?}");
    assert!(err.to_string().contains("Try again in 15 minutes"), "{err}");
}

async fn five_failures_from_one_ip_lock_that_ip_for_every_account(pool: Db) {
    agent(&pool, "ana@example.com").await;
    for i in 0..login_limits::MAX_FAILURES {
        let email = format!("guess{i}@example.com");
        accounts::sign_in(
            &pool,
            &Clock::system(),
            &email,
            "wrong password!",
            "6.6.6.6",
        )
        .await
        .unwrap_err();
    }
    let err = accounts::sign_in(
        &pool,
        &Clock::system(),
        "ana@example.com",
        PASSWORD,
        "6.6.6.6",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountError::Locked(_)), "{err:?}");
    // Another address is not affected.
    accounts::sign_in(
        &pool,
        &Clock::system(),
        "ana@example.com",
        PASSWORD,
        "7.7.7.7",
    )
    .await
    .unwrap();
}

async fn sessions_expire_when_idle_and_absolutely(pool: Db) {
    let user = agent(&pool, "ana@example.com").await;
    let t0 = 1_800_000_000;

    sessions::create(&pool, "idle", user.id, t0).await.unwrap();
    let just_before = t0 + sessions::IDLE_TIMEOUT_SECS;
    assert!(sessions::user_for(&pool, "idle", just_before)
        .await
        .unwrap()
        .is_some());
    // That request moved last_seen to `just_before`; now idle for the whole timeout + 1 s.
    let idle_out = just_before + sessions::IDLE_TIMEOUT_SECS + 1;
    assert!(sessions::user_for(&pool, "idle", idle_out)
        .await
        .unwrap()
        .is_none());
    // An expired session is deleted, not just hidden.
    assert!(sessions::user_for(&pool, "idle", just_before)
        .await
        .unwrap()
        .is_none());

    sessions::create(&pool, "busy", user.id, t0).await.unwrap();
    let mut now = t0;
    while now <= t0 + sessions::ABSOLUTE_TIMEOUT_SECS {
        assert!(sessions::user_for(&pool, "busy", now)
            .await
            .unwrap()
            .is_some());
        now += sessions::IDLE_TIMEOUT_SECS / 2;
    }
    let past_absolute = t0 + sessions::ABSOLUTE_TIMEOUT_SECS + 1;
    assert!(sessions::user_for(&pool, "busy", past_absolute)
        .await
        .unwrap()
        .is_none());
}

async fn the_last_admin_cannot_be_demoted_or_disabled(pool: Db) {
    let admin = accounts::create_first_admin(&pool, &Clock::system(), "ana@example.com", PASSWORD)
        .await
        .unwrap();
    let actor = Actor::user(admin.id, &admin.email);
    let err = accounts::change_role(&pool, &Clock::system(), &actor, admin.id, Role::Agent)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only active admin"), "{err}");
    assert!(
        accounts::set_disabled(&pool, &Clock::system(), &actor, admin.id, true)
            .await
            .is_err()
    );

    let bob = accounts::create_user(
        &pool,
        &Clock::system(),
        &actor,
        "bob@example.com",
        Role::Admin,
        PASSWORD,
    )
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
    let admin = accounts::create_first_admin(&pool, &Clock::system(), "ana@example.com", PASSWORD)
        .await
        .unwrap();
    let actor = Actor::user(admin.id, &admin.email);
    let bob = accounts::create_user(
        &pool,
        &Clock::system(),
        &actor,
        "bob@example.com",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap();
    let (_, token) = accounts::sign_in(
        &pool,
        &Clock::system(),
        "bob@example.com",
        PASSWORD,
        "1.2.3.4",
    )
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
    assert!(accounts::sign_in(
        &pool,
        &Clock::system(),
        "bob@example.com",
        PASSWORD,
        "1.2.3.4"
    )
    .await
    .is_err());
    accounts::sign_in(
        &pool,
        &Clock::system(),
        "bob@example.com",
        "a brand new password",
        "1.2.3.4",
    )
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
    let e = accounts::create_user(
        &pool,
        &Clock::system(),
        &cli,
        "not-an-email",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("is not an email address"), "{e}");
    let e = accounts::create_user(
        &pool,
        &Clock::system(),
        &cli,
        "a@example.com",
        Role::Agent,
        "short",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("at least 10 characters"), "{e}");
    agent(&pool, "a@example.com").await;
    let e = accounts::create_user(
        &pool,
        &Clock::system(),
        &cli,
        "A@example.com",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
}

async fn a_parallel_burst_of_guesses_gets_no_more_than_the_limit(pool: Db) {
    agent(&pool, "ana@example.com").await;
    // Twenty wrong guesses at once, each from its own address: every one is counted before
    // its password is checked, so only the first five are even checked.
    let guesses = (0..20).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move {
            accounts::sign_in(
                &pool,
                &Clock::system(),
                "ana@example.com",
                "wrong password!",
                &format!("10.9.0.{i}"),
            )
            .await
            .unwrap_err()
        })
    });
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            AccountError::BadCredentials => checked += 1,
            AccountError::Locked(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(checked, login_limits::MAX_FAILURES);
    // Argon2 ran at most one check per core at a time.
    assert!(auth::argon2_peak() <= auth::argon2_capacity());
}

async fn a_right_password_takes_its_own_count_back(pool: Db) {
    agent(&pool, "ana@example.com").await;
    // Four failures from one address, then the right password from it five times: the
    // address is not locked by its successful sign-ins.
    for _ in 0..4 {
        accounts::sign_in(
            &pool,
            &Clock::system(),
            "nobody@example.com",
            "wrong password!",
            "8.8.8.8",
        )
        .await
        .unwrap_err();
    }
    for _ in 0..5 {
        accounts::sign_in(
            &pool,
            &Clock::system(),
            "ana@example.com",
            PASSWORD,
            "8.8.8.8",
        )
        .await
        .unwrap();
    }
    assert_eq!(
        login_limits::retry_after(&pool, "ip:8.8.8.8", Clock::system().now())
            .await
            .unwrap(),
        None
    );
}

async fn an_overlong_email_or_password_is_refused_before_any_work(pool: Db) {
    let long_email = format!("{}@example.com", "a".repeat(300));
    let err = accounts::sign_in(&pool, &Clock::system(), &long_email, PASSWORD, "9.9.9.9")
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::BadCredentials), "{err:?}");
    let err = accounts::sign_in(
        &pool,
        &Clock::system(),
        "ana@example.com",
        &"x".repeat(5000),
        "9.9.9.9",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountError::BadCredentials), "{err:?}");
    let failures: i64 = on_db!(&pool, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
            .fetch_one(p)
            .await
            .unwrap()
    });
    assert_eq!(failures, 0, "nothing was recorded for them");
}

async fn two_admins_demoting_each_other_at_once_leave_one_admin(pool: Db) {
    let ana = accounts::create_first_admin(&pool, &Clock::system(), "ana@example.com", PASSWORD)
        .await
        .unwrap();
    let actor = Actor::user(ana.id, &ana.email);
    let bob = accounts::create_user(
        &pool,
        &Clock::system(),
        &actor,
        "bob@example.com",
        Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    for round in 0..10 {
        // Each demotes the other (or disables them) at the same moment.
        let (a, b) = (pool.clone(), pool.clone());
        let (actor_a, actor_b) = (actor.clone(), Actor::user(bob.id, &bob.email));
        let disable = round % 2 == 1;
        let one = tokio::spawn(async move {
            if disable {
                accounts::set_disabled(&a, &Clock::system(), &actor_a, bob.id, true)
                    .await
                    .map(|_| ())
            } else {
                accounts::change_role(&a, &Clock::system(), &actor_a, bob.id, Role::Agent)
                    .await
                    .map(|_| ())
            }
        });
        let two = tokio::spawn(async move {
            if disable {
                accounts::set_disabled(&b, &Clock::system(), &actor_b, ana.id, true)
                    .await
                    .map(|_| ())
            } else {
                accounts::change_role(&b, &Clock::system(), &actor_b, ana.id, Role::Agent)
                    .await
                    .map(|_| ())
            }
        });
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

/// A database failure keeps its own words for the CLI and the log, and becomes the generic
/// message (500) only at the server-function boundary; a refusal keeps its reason both ways.
async fn database_failures_say_what_failed_and_reach_the_browser_only_as_internal(pool: Db) {
    agent(&pool, "ana@example.com").await;
    let again = accounts::create_user(
        &pool,
        &Clock::system(),
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
    let err = accounts::create_user(
        &pool,
        &Clock::system(),
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

/// The limit check and the count are one step even when many attempts arrive at the same
/// instant (on PostgreSQL, from several instances): released together, at most
/// `MAX_FAILURES` of 40 attempts are let through, in each of several rounds.
async fn simultaneous_attempts_on_one_scope_never_pass_the_limit(pool: Db) {
    for round in 0..5 {
        let scopes = vec![format!("account:round{round}@example.com")];
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(40));
        let attempts: Vec<_> = (0..40)
            .map(|_| {
                let (pool, scopes, start) = (pool.clone(), scopes.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    login_limits::begin_attempt(&pool, &scopes, 1_000_000)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut through = 0;
        for attempt in attempts {
            if attempt.await.unwrap().is_ok() {
                through += 1;
            }
        }
        assert_eq!(through, login_limits::MAX_FAILURES, "round {round}");
    }
}
