//! Webhook signatures (§2.3): HMAC over the raw request bytes, keyed with the app secret.
//!
//! Policy: `X-Hub-Signature-256` (`sha256=<hex>`) is **required**. Baton does not fall back
//! to the legacy `X-Hub-Signature` (sha1) header: Meta sends both, so a request with only
//! sha1 is not from Meta's current platform. [`sign_sha1`] exists so the sandbox can send the
//! legacy header like Meta does.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// Name of the required header.
pub const HEADER_SHA256: &str = "X-Hub-Signature-256";
/// Name of the legacy header (sent by the sandbox, not checked by Baton).
pub const HEADER_SHA1: &str = "X-Hub-Signature";

/// Why a signature was refused. Answer 401/403 and do not process the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("malformed X-Hub-Signature-256 header (expected sha256=<64 hex chars>)")]
    Malformed,
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Checks `header_sha256` (the `X-Hub-Signature-256` value) against the raw body bytes,
/// in constant time.
pub fn verify(
    app_secret: &[u8],
    raw_body: &[u8],
    header_sha256: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header_sha256
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let (algo, hex_sig) = header.split_once('=').ok_or(SignatureError::Malformed)?;
    if !algo.eq_ignore_ascii_case("sha256") || hex_sig.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    let mut mac = hmac_sha256(app_secret);
    mac.update(raw_body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// `X-Hub-Signature-256` header value for `body`: `sha256=<hex>`.
pub fn sign_sha256(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac_sha256(app_secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Legacy `X-Hub-Signature` header value for `body`: `sha1=<hex>`.
pub fn sign_sha1(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(app_secret).expect("HMAC takes any key");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Hex HMAC-SHA256 of `data` keyed with `key` (also used for `appsecret_proof`).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    let mut mac = hmac_sha256(key);
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key")
}
