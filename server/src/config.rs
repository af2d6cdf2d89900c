//! Typed configuration, resolved once at start-up from flags and environment variables
//! (flags win), with a clear error for every bad value.

use std::net::SocketAddr;

use clap::Args;
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/baton.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_GRAPH_API_URL: &str = "https://graph.facebook.com/v21.0";

/// Raw settings as given on the command line or in the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Database URL [default: sqlite://data/baton.db, created on first run].
    #[arg(long, env = "BATON_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on [env: BATON_ADDR, else LEPTOS_SITE_ADDR; default: 127.0.0.1:3000].
    #[arg(long, env = "BATON_ADDR", global = true)]
    pub addr: Option<String>,
    /// Base URL of the Facebook Graph API (tests point it at a local fake).
    #[arg(long, env = "BATON_GRAPH_API_URL", global = true)]
    pub graph_api_url: Option<String>,
    /// Public base URL Facebook reaches this server at (shown as the webhook callback URL).
    #[arg(long, env = "BATON_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Graph API send budget in calls per second per page [default: 250]. Meta caps text sends
    /// at about 300 calls/s per page; benchmarks and pages with a raised limit may go higher.
    #[arg(long, env = "BATON_SEND_RATE", global = true)]
    pub send_rate: Option<String>,
    /// Reverse proxies whose X-Forwarded-For is believed for the client address, comma
    /// separated IPs or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8) [default: none].
    #[arg(long, env = "BATON_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub graph_api_url: String,
    pub public_url: Option<String>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Graph calls per second per page.
    pub send_rate: u32,
}

/// The default send budget: under Meta's ~300 calls/s per page for text sends.
pub const DEFAULT_SEND_RATE: u32 = 250;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error(
        "{name}: {value:?} is not an address to listen on; use HOST:PORT such as 127.0.0.1:3000"
    )]
    Addr { name: &'static str, value: String },
    #[error("{name}: {value:?} is not an http(s) URL ({reason})")]
    Url {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "BATON_SEND_RATE: {0:?} is not a number of calls per second from 1 to 100000 (default 250)"
    )]
    SendRate(String),
    #[error("BATON_TRUSTED_PROXIES: {0:?} is not an IP address or CIDR range such as 10.0.0.0/8")]
    Proxy(String),
    /// Says why, without repeating the URL (it may carry a password).
    #[error("BATON_DATABASE_URL: {0}")]
    Database(String),
}

impl Config {
    /// Resolves raw arguments; `LEPTOS_SITE_ADDR` (set by cargo-leptos) is the fallback address.
    pub fn resolve(args: ConfigArgs) -> Result<Self, ConfigError> {
        Self::resolve_with(args, std::env::var("LEPTOS_SITE_ADDR").ok())
    }

    fn resolve_with(args: ConfigArgs, leptos_addr: Option<String>) -> Result<Self, ConfigError> {
        let database_url = args
            .database_url
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        use domain::backend::{scheme_of, Backend};
        use domain::db::DbError;
        match Backend::of_url(&database_url) {
            // PostgreSQL: `baton migrate` runs on it; the other commands say they do not yet
            // when they open the database.
            Some(Backend::Sqlite | Backend::Postgres) => {}
            None => {
                let scheme = scheme_of(&database_url);
                return Err(ConfigError::Database(
                    DbError::UnsupportedUrl(scheme).to_string(),
                ));
            }
        }
        let (addr_name, addr_value) = match (args.addr, leptos_addr) {
            (Some(a), _) => ("BATON_ADDR / --addr", a),
            (None, Some(a)) => ("LEPTOS_SITE_ADDR", a),
            (None, None) => ("BATON_ADDR", DEFAULT_ADDR.to_owned()),
        };
        let addr = addr_value.trim().parse().map_err(|_| ConfigError::Addr {
            name: addr_name,
            value: addr_value.clone(),
        })?;
        let graph_api_url = http_url(
            "BATON_GRAPH_API_URL",
            args.graph_api_url
                .as_deref()
                .unwrap_or(DEFAULT_GRAPH_API_URL),
        )?;
        let public_url = args
            .public_url
            .filter(|s| !s.trim().is_empty())
            .map(|u| http_url("BATON_PUBLIC_URL", &u))
            .transpose()?;
        let trusted_proxies = args
            .trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| ConfigError::Proxy(s.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let send_rate = match args.send_rate.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_SEND_RATE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| ConfigError::SendRate(v.to_owned()))?,
        };
        Ok(Self {
            database_url,
            addr,
            graph_api_url,
            public_url,
            trusted_proxies,
            send_rate,
        })
    }

    /// The database URL with any password removed, safe to print.
    pub fn database_url_for_display(&self) -> String {
        match Url::parse(&self.database_url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.database_url.clone(),
        }
    }
}

/// Parses an absolute http(s) URL and drops a trailing slash.
fn http_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let err = |reason: &str| ConfigError::Url {
        name,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(value.trim()).map_err(|e| err(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("the scheme must be http or https"));
    }
    if url.host_str().is_none() {
        return Err(err("it has no host"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_rate_is_a_positive_number_with_a_default() {
        let rate = |v: Option<&str>| {
            Config::resolve_with(
                ConfigArgs {
                    send_rate: v.map(Into::into),
                    ..Default::default()
                },
                None,
            )
            .map(|c| c.send_rate)
        };
        assert_eq!(rate(None), Ok(250));
        assert_eq!(rate(Some(" 5000 ")), Ok(5000));
        for bad in ["0", "-3", "fast", "1e9"] {
            let err = rate(Some(bad)).unwrap_err();
            assert_eq!(err, ConfigError::SendRate(bad.into()));
        }
    }

    #[test]
    fn trusted_proxies_are_ips_or_ranges() {
        let c = Config::resolve_with(
            ConfigArgs {
                trusted_proxies: Some(" 127.0.0.1, 10.0.0.0/8 ,::1".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(c.trusted_proxies[1].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        let err = Config::resolve_with(
            ConfigArgs {
                trusted_proxies: Some("10.0.0.0/8, proxy.local".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
        assert_eq!(err, ConfigError::Proxy("proxy.local".into()));
        assert!(err.to_string().contains("CIDR"));
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = Config::resolve_with(ConfigArgs::default(), None).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.graph_api_url, DEFAULT_GRAPH_API_URL);
        assert_eq!(c.public_url, None);
    }

    #[test]
    fn baton_addr_wins_over_leptos_site_addr() {
        let args = ConfigArgs {
            addr: Some("0.0.0.0:8080".into()),
            ..Default::default()
        };
        let c = Config::resolve_with(args, Some("127.0.0.1:9".into())).unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        let c = Config::resolve_with(ConfigArgs::default(), Some("127.0.0.1:9".into())).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:9");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let bad_addr = ConfigArgs {
            addr: Some("localhost".into()),
            ..Default::default()
        };
        let err = Config::resolve_with(bad_addr, None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("BATON_ADDR"), "{err}");

        let bad_graph = ConfigArgs {
            graph_api_url: Some("ftp://example.com".into()),
            ..Default::default()
        };
        let err = Config::resolve_with(bad_graph, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("BATON_GRAPH_API_URL") && err.contains("http"),
            "{err}"
        );

        let bad_db = ConfigArgs {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        assert!(matches!(
            Config::resolve_with(bad_db, None),
            Err(ConfigError::Database(_))
        ));
    }

    #[test]
    fn urls_lose_their_trailing_slash() {
        let args = ConfigArgs {
            graph_api_url: Some("http://127.0.0.1:9999/v21.0/".into()),
            public_url: Some("https://baton.example.com/".into()),
            ..Default::default()
        };
        let c = Config::resolve_with(args, None).unwrap();
        assert_eq!(c.graph_api_url, "http://127.0.0.1:9999/v21.0");
        assert_eq!(c.public_url.as_deref(), Some("https://baton.example.com"));
    }
}
