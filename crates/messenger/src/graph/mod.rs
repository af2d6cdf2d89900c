//! The `GraphApi` trait (every Graph call Baton makes) and its response types; the reqwest
//! implementation is [`GraphClient`].
//!
//! `api.rs` holds the trait and the small response types, `profile.rs` the messenger
//! profile, `token.rs` what Meta says of a page token; with feature `client`, `client.rs` is
//! the reqwest client and `token_parse.rs` how it reads the token answers.

mod api;
#[cfg(feature = "client")]
mod client;
mod profile;
mod token;
#[cfg(feature = "client")]
mod token_parse;

pub use api::{AppInfo, GraphApi, PageInfo, SubscribedApp, UserProfile, BATON_SUBSCRIBED_FIELDS};
#[cfg(feature = "client")]
pub use client::{GraphClient, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use profile::{GetStarted, Greeting, MenuLocale, MessengerProfile, ProfileField};
/// The HTTP client a [`GraphClient`] makes its calls with (see [`GraphClient::sharing`]).
#[cfg(feature = "client")]
pub use reqwest::Client as HttpClient;
pub use token::{FeatureStatus, TokenDebug, TokenDebugError, TokenKind, TokenOwner};
