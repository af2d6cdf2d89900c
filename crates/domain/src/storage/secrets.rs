//! Secrets at rest: the page access token, app secret and verify token (and a page token the
//! setup wizard holds between its steps) are stored sealed with ChaCha20-Poly1305, so a copy of
//! the database alone does not give away the page.
//!
//! The key (32 bytes) comes from `BATON_SECRET_KEY` (64 hex characters) when set, else from the
//! file `secret.key` next to the database file, created (0600) on first use. Back that file up
//! apart from the database, or set `BATON_SECRET_KEY`: without the key the stored secrets cannot
//! be read and the page must be connected again. An in-memory database (tests) gets a random
//! key that lives as long as the process. A PostgreSQL database has no file beside it, and
//! every instance must read what another sealed: it needs `BATON_SECRET_KEY`.
//!
//! Stored form: `enc1:` + hex(nonce ‖ ciphertext ‖ tag). Values without the prefix were stored
//! before encryption existed; they are read as they are and sealed by
//! [`crate::storage::repo::pages::seal_stored`] at start-up.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sqlx::SqlitePool;

use crate::storage::backend::DbRef;

const PREFIX: &str = "enc1:";
const KEY_FILE: &str = "secret.key";

/// What can go wrong reading or making the key, or opening a sealed value.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("BATON_SECRET_KEY must be 64 hexadecimal characters (32 bytes), for example the output of `openssl rand -hex 32`")]
    BadEnvKey,
    #[error("the secret key file {path} is unreadable or not 64 hexadecimal characters: {why}")]
    BadKeyFile { path: String, why: String },
    #[error(
        "the stored page secrets cannot be read with this secret key (BATON_SECRET_KEY or \
         secret.key next to the database changed). Put the old key back and restart Baton, or \
         connect the page again"
    )]
    WrongKey,
    #[error(
        "a PostgreSQL database needs BATON_SECRET_KEY (64 hexadecimal characters, the same on \
         every Baton instance) to seal and read the page secrets"
    )]
    PostgresNeedsKey,
}

type Key = [u8; 32];

static ENV_KEY: OnceLock<Option<Key>> = OnceLock::new();
static FILE_KEYS: OnceLock<Mutex<HashMap<PathBuf, Key>>> = OnceLock::new();
static MEMORY_KEY: OnceLock<Key> = OnceLock::new();
/// Keys of PostgreSQL test databases, by database name (see [`give_test_database_a_key`]
/// and [`set_database_key`]).
static PG_TEST_KEYS: OnceLock<Mutex<HashMap<String, Key>>> = OnceLock::new();

/// Gives a PostgreSQL test database a random key of its own, as an in-memory SQLite
/// database gets one: without `BATON_SECRET_KEY` a PostgreSQL database has no key at all.
/// A database that has one keeps it (a test opening it again). Only tests call this.
#[cfg(any(test, feature = "testing"))]
pub fn give_test_database_a_key(pool: &sqlx::PgPool) {
    let name = database_name(pool);
    PG_TEST_KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(name)
        .or_insert_with(random_key);
}

/// Gives the PostgreSQL database behind `pool` the key `hex` in this process, as
/// `BATON_SECRET_KEY=hex` would: the bench and tests prepare a database here that `baton
/// serve` processes then open with that variable.
pub fn set_database_key(pool: &sqlx::PgPool, hex: &str) -> Result<(), SecretsError> {
    let key = parse_key(hex).ok_or(SecretsError::BadEnvKey)?;
    PG_TEST_KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(database_name(pool), key);
    Ok(())
}

/// The name of the PostgreSQL database behind `pool` (the key of [`PG_TEST_KEYS`]).
fn database_name(pool: &sqlx::PgPool) -> String {
    pool.connect_options()
        .get_database()
        .unwrap_or_default()
        .to_owned()
}

fn parse_key(text: &str) -> Option<Key> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

/// Reads `BATON_SECRET_KEY` once (the binary calls this at start-up; a bad value stops it).
pub fn init_from_env() -> Result<(), SecretsError> {
    let key = match std::env::var("BATON_SECRET_KEY") {
        Ok(v) if !v.trim().is_empty() => Some(parse_key(&v).ok_or(SecretsError::BadEnvKey)?),
        _ => None,
    };
    let _ = ENV_KEY.set(key);
    Ok(())
}

fn random_key() -> Key {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    key
}

/// The key file's path for the database behind `pool`; `None` for an in-memory database.
pub fn key_file(pool: &SqlitePool) -> Option<PathBuf> {
    let options = pool.connect_options();
    let db = options.get_filename();
    if crate::storage::db::is_memory_name(db) {
        return None;
    }
    Some(db.parent().unwrap_or(Path::new(".")).join(KEY_FILE))
}

fn read_or_create(path: &Path) -> Result<Key, SecretsError> {
    let bad = |why: String| SecretsError::BadKeyFile {
        path: path.display().to_string(),
        why,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text).ok_or_else(|| bad("not 64 hexadecimal characters".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_key();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    writeln!(file, "{}", hex::encode(key)).map_err(|e| bad(e.to_string()))?;
                    file.sync_all().map_err(|e| bad(e.to_string()))?;
                    tracing::info!(path = %path.display(), "created the secret key file");
                    Ok(key)
                }
                // Another connection created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
                    parse_key(&text).ok_or_else(|| bad("not 64 hexadecimal characters".into()))
                }
                Err(e) => Err(bad(e.to_string())),
            }
        }
        Err(e) => Err(bad(e.to_string())),
    }
}

fn key_for(db: DbRef<'_>) -> Result<Key, SecretsError> {
    if let Some(Some(key)) = ENV_KEY.get() {
        return Ok(*key);
    }
    let pool = match db {
        DbRef::Sqlite(pool) => pool,
        DbRef::Postgres(pool) => {
            let name = database_name(pool);
            let keys = PG_TEST_KEYS.get_or_init(Default::default);
            let keys = keys.lock().unwrap_or_else(|p| p.into_inner());
            return keys
                .get(&name)
                .copied()
                .ok_or(SecretsError::PostgresNeedsKey);
        }
    };
    let Some(path) = key_file(pool) else {
        return Ok(*MEMORY_KEY.get_or_init(random_key));
    };
    let cache = FILE_KEYS.get_or_init(Default::default);
    let mut keys = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(key) = keys.get(&path) {
        return Ok(*key);
    }
    let key = read_or_create(&path)?;
    keys.insert(path, key);
    Ok(key)
}

fn cipher(key: &Key) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).expect("32-byte key"))
}

fn seal_with(key: &Key, plain: &str) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let mut data = plain.as_bytes().to_vec();
    cipher(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .expect("sealing cannot fail for in-memory data of this size");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    format!("{PREFIX}{}", hex::encode(out))
}

fn open_with(key: &Key, stored: &str) -> Result<String, SecretsError> {
    let Some(hexed) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_owned());
    };
    let bytes = hex::decode(hexed).map_err(|_| SecretsError::WrongKey)?;
    if bytes.len() < NONCE_LEN {
        return Err(SecretsError::WrongKey);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretsError::WrongKey)?;
    let mut data = sealed.to_vec();
    let plain = cipher(key)
        .open_in_place(nonce, Aad::empty(), &mut data)
        .map_err(|_| SecretsError::WrongKey)?;
    String::from_utf8(plain.to_vec()).map_err(|_| SecretsError::WrongKey)
}

/// Seals `plain` for storing in the database behind `db`.
pub fn seal<'a>(db: impl Into<DbRef<'a>>, plain: &str) -> Result<String, SecretsError> {
    Ok(seal_with(&key_for(db.into())?, plain))
}

/// Opens a stored value (values stored before encryption come back as they are).
pub fn open<'a>(db: impl Into<DbRef<'a>>, stored: &str) -> Result<String, SecretsError> {
    open_with(&key_for(db.into())?, stored)
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// A [`SecretsError`] where the repositories return `sqlx::Error`.
pub fn db_error(e: SecretsError) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_never_show_the_plain_text() {
        let key = random_key();
        let sealed = seal_with(&key, "EAAB-page-token");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("EAAB"));
        assert_ne!(
            sealed,
            seal_with(&key, "EAAB-page-token"),
            "a fresh nonce each time"
        );
        assert_eq!(open_with(&key, &sealed).unwrap(), "EAAB-page-token");
        assert!(matches!(
            open_with(&random_key(), &sealed),
            Err(SecretsError::WrongKey)
        ));
        // Change the last hex digit (to a different one: "00" over "00" would change nothing).
        let mut tampered = sealed.clone();
        let last = if sealed.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(sealed.len() - 1.., last);
        assert!(open_with(&key, &tampered).is_err());
        assert_eq!(open_with(&key, "stored-before").unwrap(), "stored-before");
    }

    #[test]
    fn keys_are_64_hex_characters() {
        assert!(parse_key(&"ab".repeat(32)).is_some());
        assert!(parse_key(&format!(" {}\n", "ab".repeat(32))).is_some());
        assert!(parse_key("abc").is_none());
        assert!(parse_key(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile_dir();
        let path = dir.join(KEY_FILE);
        let first = read_or_create(&path).unwrap();
        assert_eq!(read_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            read_or_create(&path),
            Err(SecretsError::BadKeyFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("baton-secrets-{}", hex::encode(random_key())));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
