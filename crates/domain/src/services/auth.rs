//! Authentication plumbing: password hashing (argon2), session tokens and cookies, and the
//! client address behind trusted proxies. The role check every server function goes through
//! is `Ctx` in the app crate, built on these.

use std::sync::OnceLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use http::{header, HeaderMap};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

use crate::storage::repo::sessions;
use model::AppError;

pub const SESSION_COOKIE: &str = "baton_session";

/// Argon2 runs at once, at most: one per core. Each takes ~19 MiB and tens of milliseconds of
/// CPU, so a burst of sign-ins waits its turn instead of taking the server's memory and cores.
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores.max(1))
    })
}

/// How many argon2 runs a [`argon2_slots`] permit allows at once (for tests and logs).
pub fn argon2_capacity() -> usize {
    std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(1)
}

static ARGON2_RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ARGON2_PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The most argon2 runs seen at the same time since the process started.
pub fn argon2_peak() -> usize {
    ARGON2_PEAK.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `f` (an argon2 hash or check) on the blocking pool once a slot is free.
async fn with_argon2<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    use std::sync::atomic::Ordering::Relaxed;
    let _slot = argon2_slots().acquire().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let running = ARGON2_RUNNING.fetch_add(1, Relaxed) + 1;
        ARGON2_PEAK.fetch_max(running, Relaxed);
        let out = f();
        ARGON2_RUNNING.fetch_sub(1, Relaxed);
        out
    })
    .await
    .ok()
}

/// Hashes a password with argon2id (default parameters) off the async threads.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    with_argon2(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .ok_or(AppError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Checks a password against a stored hash. `None` hash = unknown account: a dummy hash is
/// checked anyway so a wrong email costs as long as a wrong password.
pub async fn verify_password(stored: Option<String>, password: &str) -> bool {
    let password = password.to_owned();
    with_argon2(move || {
        let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A new random session token (256 bits, hex) for the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, Secure on https.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        sessions::ABSOLUTE_TIMEOUT_SECS,
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token from the request's `Cookie` headers, if any.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The client's address. `X-Forwarded-For` is believed only when the peer is a trusted proxy:
/// its entries are read from the right, skipping trusted proxies, and the first other address
/// is the client (entries further left could be typed by the client). A header that does not
/// parse leaves the last trusted hop as the client.
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", value.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // No trusted proxies configured: the header is ignored.
        assert_eq!(
            client_ip(Some(proxy), &xff("203.0.113.9"), &[]),
            Some(proxy)
        );
        // From an untrusted peer: ignored too (anyone can send the header).
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            client_ip(Some(stranger), &xff("203.0.113.9"), &trusted),
            Some(stranger)
        );
        // From the proxy: the rightmost address that is not a trusted proxy.
        assert_eq!(
            client_ip(Some(proxy), &xff("203.0.113.9"), &trusted),
            ip("203.0.113.9")
        );
        // A client that types its own header cannot choose its address: the proxy appends
        // the real one on the right.
        assert_eq!(
            client_ip(
                Some(proxy),
                &xff("1.2.3.4, 203.0.113.9, 10.0.0.7"),
                &trusted
            ),
            ip("203.0.113.9")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            client_ip(Some(proxy), &xff("nonsense"), &trusted),
            Some(proxy)
        );
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
        assert_eq!(client_ip(None, &xff("203.0.113.9"), &trusted), None);
    }

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse battery").await.unwrap();
        let b = hash_password("correct horse battery").await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password(Some(a.clone()), "correct horse battery").await);
        assert!(!verify_password(Some(a), "wrong horse battery").await);
        assert!(!verify_password(None, "anything at all").await);
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_stored() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token());
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_hash(&t), token_hash(&t));
    }

    #[test]
    fn cookie_flags_and_parsing() {
        let c = session_cookie("abc", true);
        for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(!session_cookie("abc", false).contains("Secure"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; baton_session=tok; b=2"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("tok"));
        headers.insert(header::COOKIE, HeaderValue::from_static("baton_session="));
        assert_eq!(token_from_headers(&headers), None);
    }
}
