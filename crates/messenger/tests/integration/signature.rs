//! Signature tests: good / bad / missing / malformed, computed over raw bytes.

use messenger::signature::{sign_sha1, sign_sha256, verify, SignatureError};

const SECRET: &[u8] = b"test-app-secret";
// Emoji, \u escape and \/ escapes: re-serialising would change the bytes.
const BODY: &[u8] =
    "{\"object\":\"page\",\"entry\":[{\"text\":\"ol\u{e1} 😀 \\u00e9 https:\\/\\/x.example\\/a\"}]}"
        .as_bytes();

#[test]
fn good_signature_verifies_on_raw_bytes() {
    let header = sign_sha256(SECRET, BODY);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), 7 + 64);
    assert_eq!(verify(SECRET, BODY, Some(&header)), Ok(()));
    assert_eq!(
        verify(
            SECRET,
            BODY,
            Some(&header.to_uppercase().replace("SHA256=", "sha256="))
        ),
        Ok(())
    );

    // The same JSON re-serialised is different bytes, so the signature no longer matches.
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(BODY).unwrap()).unwrap();
    assert_ne!(reserialised, BODY);
    assert_eq!(
        verify(SECRET, &reserialised, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn known_vector() {
    // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog")
    assert_eq!(
        sign_sha256(b"key", b"The quick brown fox jumps over the lazy dog"),
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
    assert_eq!(
        sign_sha1(b"key", b"The quick brown fox jumps over the lazy dog"),
        "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    );
}

#[test]
fn bad_signatures() {
    let header = sign_sha256(SECRET, BODY);
    assert_eq!(
        verify(b"other-secret", BODY, Some(&header)),
        Err(SignatureError::Mismatch)
    );
    let mut tampered = BODY.to_vec();
    tampered[5] ^= 1;
    assert_eq!(
        verify(SECRET, &tampered, Some(&header)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(verify(SECRET, BODY, None), Err(SignatureError::Missing));
    assert_eq!(verify(SECRET, BODY, Some("")), Err(SignatureError::Missing));
    for bad in [
        "abc",
        "sha256=xyz",
        &header[..header.len() - 2],
        &header.replace("sha256=", "sha1="),
        &sign_sha1(SECRET, BODY),
        &format!("{}zz", &header[..header.len() - 2]),
    ] {
        assert_eq!(
            verify(SECRET, BODY, Some(bad)),
            Err(SignatureError::Malformed),
            "{bad}"
        );
    }
}
