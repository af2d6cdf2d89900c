//! Case folding shared by validation, keyword matching and the editor's search.
//!
//! Rust's `str::to_lowercase` carries Unicode's case tables (about 12 KB each way) into every
//! wasm that calls it; the browser has the same tables built in. With the `browser` feature,
//! on wasm32, [`lowercase`] asks the JavaScript engine (`String.prototype.toLowerCase`, the
//! same Unicode default case mapping, final sigma included) so the Messages editor does not
//! download them. The server, the CLI and the tests use Rust's own.

/// `s` in lowercase, as Unicode's default case mapping defines it.
pub fn lowercase(s: &str) -> String {
    #[cfg(all(feature = "browser", target_arch = "wasm32"))]
    {
        String::from(js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(all(feature = "browser", target_arch = "wasm32")))]
    {
        s.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::lowercase;

    #[test]
    fn lowercases_beyond_ascii() {
        assert_eq!(lowercase("Talk To HUMAN"), "talk to human");
        assert_eq!(lowercase("ÀÉÎ Ωμέγα ΣΑΣ"), "àéî ωμέγα σας");
    }
}
