//! Small reusable checks: text length, message keys, web URLs, references.

use std::collections::HashMap;

use crate::problem::Problem;

/// Message keys by first index, for reference checks.
pub(crate) type Keys<'a> = HashMap<&'a str, usize>;

/// Non-blank and at most `max` characters. Returns the problem message, if any.
pub(crate) fn text_len(out: &mut Vec<Problem>, path: &str, text: &str, max: usize) {
    if text.trim().is_empty() {
        out.push(Problem::error(path, "must not be empty"));
    } else {
        too_long(out, path, text, max, "");
    }
}

/// At most `max` characters; `why` is appended to the message (e.g. ", the limit ...").
pub(crate) fn too_long(out: &mut Vec<Problem>, path: &str, text: &str, max: usize, why: &str) {
    let n = text.chars().count();
    if n > max {
        out.push(Problem::error(
            path,
            format!("longer than {max} characters ({n}){why}"),
        ));
    }
}

/// Key syntax: non-empty, `[a-z0-9_-]`, at most [`crate::limits::KEY_MAX`] characters.
pub(crate) fn key_syntax(out: &mut Vec<Problem>, path: &str, key: &str) {
    if key.is_empty() {
        out.push(Problem::error(path, "must not be empty"));
        return;
    }
    if let Some(c) = key
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
    {
        out.push(Problem::error(
            path,
            format!("may only use lowercase letters a-z, digits 0-9, _ and - (found {c:?})"),
        ));
    }
    too_long(out, path, key, crate::limits::KEY_MAX, "");
}

/// A reference to a message key must name an existing message.
pub(crate) fn reference(out: &mut Vec<Problem>, keys: &Keys<'_>, path: &str, key: &str) {
    if key.is_empty() {
        out.push(Problem::error(path, "no message chosen"));
    } else if !keys.contains_key(key) {
        out.push(Problem::error(path, format!("no message with key {key:?}")));
    }
}

/// Absolute http(s) URL check (scheme + host), without pulling a URL parser into the wasm.
pub(crate) fn web_url(out: &mut Vec<Problem>, path: &str, url: &str) {
    if !is_web_url(url) {
        out.push(Problem::error(
            path,
            "must be a full web address starting with http:// or https://",
        ));
    }
}

/// True for `http://host...` / `https://host...` (scheme case-insensitive) with a non-empty
/// host, an optional numeric port, and no whitespace or control characters anywhere.
pub fn is_web_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let scheme_ok = |p: &str| {
        url.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    let rest = if scheme_ok("https://") {
        &url[8..]
    } else if scheme_ok("http://") {
        &url[7..]
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return false,
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let host_ok = !host.is_empty()
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::is_web_url;

    #[test]
    fn web_urls() {
        for ok in [
            "https://example.com",
            "http://example.com/a?b=c#d",
            "HTTPS://Example.COM:8443/x",
            "https://user:pw@host.example/",
            "https://[::1]:8080/",
            "https://bücher.example/",
            "http://localhost",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com:abc/",
            "https://example.com:/",
            "javascript:alert(1)",
            "https://[::1/",
            "mailto:a@b.c",
            "https://.example.com",
            "httpś://x",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
