//! Signing in against a real SQLite database: one message for a wrong email or password (no
//! user enumeration), the limits per account and per address (also under bursts of parallel
//! guesses), overlong input refused before any work, and session expiry.

use domain::accounts::AccountError;
use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::{login_limits, sessions};
use domain::Clock;
use domain::{accounts, auth};

use crate::account_helpers::{agent, sign_in, PASSWORD};

domain::testing::test_on_both_backends!(
    disk:
    sign_in_gives_one_message_for_wrong_email_and_wrong_password,
    five_failures_lock_the_account_even_for_the_right_password,
    five_failures_from_one_ip_lock_that_ip_for_every_account,
    sessions_expire_when_idle_and_absolutely,
    a_right_password_takes_its_own_count_back,
    an_overlong_email_or_password_is_refused_before_any_work,
    a_parallel_burst_of_guesses_gets_no_more_than_the_limit,
    simultaneous_attempts_on_one_scope_never_pass_the_limit,
);

async fn sign_in_gives_one_message_for_wrong_email_and_wrong_password(pool: Db) {
    agent(&pool, "ana@example.com").await;
    let wrong_pw = sign_in(&pool, "ana@example.com", "nope nope nope", "1.1.1.1")
        .await
        .unwrap_err();
    let no_user = sign_in(&pool, "bob@example.com", PASSWORD, "1.1.1.2")
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

    let (user, token) = sign_in(&pool, " ANA@example.com ", PASSWORD, "1.1.1.1")
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
        let err = sign_in(&pool, "ana@example.com", "wrong password!", &ip)
            .await
            .unwrap_err();
        assert!(matches!(err, AccountError::BadCredentials), "{err:?}");
    }
    let err = sign_in(&pool, "ana@example.com", PASSWORD, "10.0.1.1")
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::Locked(_)), "{err:?}");
    assert!(err.to_string().contains("Try again in 15 minutes"), "{err}");
}

async fn five_failures_from_one_ip_lock_that_ip_for_every_account(pool: Db) {
    agent(&pool, "ana@example.com").await;
    for i in 0..login_limits::MAX_FAILURES {
        let email = format!("guess{i}@example.com");
        sign_in(&pool, &email, "wrong password!", "6.6.6.6")
            .await
            .unwrap_err();
    }
    let err = sign_in(&pool, "ana@example.com", PASSWORD, "6.6.6.6")
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::Locked(_)), "{err:?}");
    // Another address is not affected.
    sign_in(&pool, "ana@example.com", PASSWORD, "7.7.7.7")
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

async fn a_parallel_burst_of_guesses_gets_no_more_than_the_limit(pool: Db) {
    agent(&pool, "ana@example.com").await;
    // Twenty wrong guesses at once, each from its own address: every one is counted before
    // its password is checked, so only the first five are even checked.
    let guesses = (0..20).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move {
            sign_in(
                &pool,
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
        sign_in(&pool, "nobody@example.com", "wrong password!", "8.8.8.8")
            .await
            .unwrap_err();
    }
    for _ in 0..5 {
        sign_in(&pool, "ana@example.com", PASSWORD, "8.8.8.8")
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
    let err = sign_in(&pool, &long_email, PASSWORD, "9.9.9.9")
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::BadCredentials), "{err:?}");
    let err = sign_in(&pool, "ana@example.com", &"x".repeat(5000), "9.9.9.9")
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
