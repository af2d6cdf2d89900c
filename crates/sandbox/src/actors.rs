//! Actors driven from tests and the Simulator: test users (type, tap, Get Started) and the
//! Page Inbox agent (reply, Done, Move to inbox). Baton itself acts through the Graph API.

use messenger::send::{Button, MessagingType, OutgoingMessage, QuickReplyType, SendRequest};
use messenger::PAGE_INBOX_APP_ID;
use serde::Deserialize;
use serde_json::json;

use crate::fail::SandboxError;
use crate::handle::Sandbox;
use crate::transcript::{Speaker, ThreadView, TranscriptItem};
use crate::world::{NewUser, TestUser, World};

/// What the user taps: a button / quick reply by message id and index (template buttons
/// first, then quick replies), or by title on the newest page message that has it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Tap {
    ByIndex { mid: String, index: usize },
    ByTitle { title: String },
}

enum Tapped {
    Postback { title: String, payload: String },
    QuickReply { title: String, payload: String },
}

fn user_line(mid: String, now: i64, text: &str, payload: Option<String>) -> TranscriptItem {
    TranscriptItem {
        mid,
        from: Speaker::User,
        timestamp: now,
        text: Some(text.into()),
        buttons: Vec::new(),
        quick_replies: Vec::new(),
        image_url: None,
        payload,
        metadata: None,
        app_id: None,
    }
}

fn options(item: &TranscriptItem) -> Vec<Result<Tapped, String>> {
    let buttons = item.buttons.iter().map(|b| match b {
        Button::Postback { title, payload } => Ok(Tapped::Postback {
            title: title.clone(),
            payload: payload.clone(),
        }),
        Button::WebUrl { title, url } => Err(format!("'{title}' opens {url} in a browser")),
    });
    let qrs = item.quick_replies.iter().map(|q| match q.content_type {
        QuickReplyType::Text => Ok(Tapped::QuickReply {
            title: q.title.clone().unwrap_or_default(),
            payload: q.payload.clone().unwrap_or_default(),
        }),
        _ => Err("phone/email quick replies are not emulated".to_string()),
    });
    buttons.chain(qrs).collect()
}

fn find_tap(world: &World, psid: &str, tap: &Tap) -> Result<Tapped, SandboxError> {
    let u = world.user(psid)?;
    let page_lines = u.transcript.iter().filter(|t| t.from != Speaker::User);
    let found = match tap {
        Tap::ByIndex { mid, index } => page_lines
            .filter(|t| &t.mid == mid)
            .flat_map(|t| options(t).into_iter().nth(*index))
            .next(),
        Tap::ByTitle { title } => page_lines.rev().find_map(|t| {
            options(t).into_iter().find(|o| match o {
                Ok(Tapped::Postback { title: x, .. } | Tapped::QuickReply { title: x, .. }) => {
                    x == title
                }
                Err(e) => e.starts_with(&format!("'{title}'")),
            })
        }),
    };
    match found {
        Some(Ok(t)) => Ok(t),
        Some(Err(why)) => Err(SandboxError::Invalid(why)),
        None => Err(SandboxError::NoSuchButton(format!("{tap:?}"))),
    }
}

impl Sandbox {
    /// Creates a test user on a page (Baton owns new conversations).
    pub fn create_user(&self, new: NewUser) -> Result<TestUser, SandboxError> {
        self.with_world(|w, _| w.create_user(new))
    }

    /// All test users.
    pub fn users(&self) -> Vec<TestUser> {
        self.lock().users.values().map(|u| u.user.clone()).collect()
    }

    /// One test user.
    pub fn user(&self, psid: &str) -> Result<TestUser, SandboxError> {
        Ok(self.lock().user(psid)?.user.clone())
    }

    /// The user types `text`. Returns the message id.
    pub fn user_says(&self, psid: &str, text: &str) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            w.check_text(text)?;
            let mid = w.new_mid();
            let item = user_line(mid.clone(), now, text, None);
            w.user_event(
                psid,
                now,
                item,
                "message",
                json!({"mid": mid, "text": text}),
            )
        })
    }

    /// The user taps a postback button (→ `postback` with title + payload) or a quick reply
    /// (→ `message` with `text` = title and `quick_reply.payload`). Returns the new mid.
    pub fn user_taps(&self, psid: &str, tap: &Tap) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            let tapped = find_tap(w, psid, tap)?;
            let mid = w.new_mid();
            match tapped {
                Tapped::Postback { title, payload } => {
                    let item = user_line(mid.clone(), now, &title, Some(payload.clone()));
                    let body = json!({"mid": mid, "title": title, "payload": payload});
                    w.user_event(psid, now, item, "postback", body)
                }
                Tapped::QuickReply { title, payload } => {
                    let item = user_line(mid.clone(), now, &title, Some(payload.clone()));
                    let body =
                        json!({"mid": mid, "text": title, "quick_reply": {"payload": payload}});
                    w.user_event(psid, now, item, "message", body)
                }
            }
        })
    }

    /// Taps the button / quick reply titled `title` on the newest page message that has it.
    pub fn user_taps_title(&self, psid: &str, title: &str) -> Result<String, SandboxError> {
        self.user_taps(
            psid,
            &Tap::ByTitle {
                title: title.into(),
            },
        )
    }

    /// The user taps Get Started: a postback with the profile's `get_started.payload`.
    pub fn user_get_started(&self, psid: &str) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            let page = w.user(psid)?.user.page_id.clone();
            let payload = w
                .pages
                .get(&page)
                .and_then(|p| p.profile.get("get_started"))
                .and_then(|g| g.get("payload"))
                .and_then(|p| p.as_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    SandboxError::Invalid("Get Started is not set in the messenger profile".into())
                })?;
            let mid = w.new_mid();
            let item = user_line(mid.clone(), now, "Get Started", Some(payload.clone()));
            let body = json!({"mid": mid, "title": "Get Started", "payload": payload});
            w.user_event(psid, now, item, "postback", body)
        })
    }

    /// The user taps item `index` (from 0) of the page's persistent menu: a postback with
    /// the item's title and payload. Returns the new mid.
    pub fn user_taps_menu(&self, psid: &str, index: usize) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            let page = w.user(psid)?.user.page_id.clone();
            let item = w
                .pages
                .get(&page)
                .and_then(|p| p.profile.get("persistent_menu"))
                .and_then(|m| m.get(0))
                .and_then(|m| m.get("call_to_actions"))
                .and_then(|items| items.get(index))
                .cloned()
                .ok_or_else(|| {
                    SandboxError::NoSuchButton(format!("persistent menu item {}", index + 1))
                })?;
            let title = item.get("title").and_then(|t| t.as_str()).unwrap_or("");
            let Some(payload) = item.get("payload").and_then(|p| p.as_str()) else {
                let url = item
                    .get("url")
                    .and_then(|u| u.as_str())
                    .unwrap_or("a web page");
                return Err(SandboxError::Invalid(format!(
                    "'{title}' opens {url} in a browser"
                )));
            };
            let mid = w.new_mid();
            let line = user_line(mid.clone(), now, title, Some(payload.to_owned()));
            let body = json!({"mid": mid, "title": title, "payload": payload});
            w.user_event(psid, now, line, "postback", body)
        })
    }

    /// The user taps something that sends a postback the page defines elsewhere (a menu the
    /// host shows itself, such as a draft's): `title` and `payload` as given.
    pub fn user_postback(
        &self,
        psid: &str,
        title: &str,
        payload: &str,
    ) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            let mid = w.new_mid();
            let line = user_line(mid.clone(), now, title, Some(payload.to_owned()));
            let body = json!({"mid": mid, "title": title, "payload": payload});
            w.user_event(psid, now, line, "postback", body)
        })
    }

    /// Removes a test user and everything the sandbox kept about them.
    pub fn remove_user(&self, psid: &str) -> Result<TestUser, SandboxError> {
        self.with_world(|w, _| {
            let gone = w
                .users
                .remove(psid)
                .ok_or_else(|| SandboxError::UnknownUser(psid.into()))?;
            w.changed_users.insert(psid.to_owned());
            Ok(gone.user)
        })
    }

    /// Whether the user sees the page typing right now.
    pub fn is_typing(&self, psid: &str) -> Result<bool, SandboxError> {
        let now = self.inner.clock.now_ms();
        Ok(self.lock().user(psid)?.typing_at(now))
    }

    /// A human in Page Inbox replies (echo with app_id 263902037430900). Returns the mid.
    pub fn agent_says(&self, psid: &str, text: &str) -> Result<String, SandboxError> {
        self.with_world(|w, now| {
            w.check_text(text)?;
            let page = w.user(psid)?.user.page_id.clone();
            let req = SendRequest::message(
                psid,
                MessagingType::Response,
                OutgoingMessage {
                    text: Some(text.into()),
                    ..Default::default()
                },
            );
            let resp = w
                .send(PAGE_INBOX_APP_ID, &page, &req, now)
                .map_err(SandboxError::Refused)?;
            Ok(resp.message_id.unwrap_or_default())
        })
    }

    /// Page Inbox "Done": pass control to the primary (Baton gets `pass_thread_control`).
    pub fn inbox_done(&self, psid: &str, metadata: Option<&str>) -> Result<(), SandboxError> {
        self.with_world(|w, now| {
            let page = w.user(psid)?.user.page_id.clone();
            let primary = w.primary.clone();
            w.pass(
                PAGE_INBOX_APP_ID,
                &page,
                psid,
                &primary,
                metadata.map(Into::into),
                now,
            )
            .map_err(SandboxError::Refused)
        })
    }

    /// Page Inbox "Move to inbox": `request_thread_control` to Baton, or (when
    /// [`Sandbox::set_inbox_takes_directly`] is on) `take_thread_control`.
    pub fn inbox_move_to_inbox(
        &self,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), SandboxError> {
        self.with_world(|w, now| {
            let page = w.user(psid)?.user.page_id.clone();
            let meta = metadata.map(Into::into);
            let r = if w.inbox_takes_directly {
                w.take(PAGE_INBOX_APP_ID, &page, psid, meta, now)
            } else {
                w.request(PAGE_INBOX_APP_ID, &page, psid, meta, now)
            };
            r.map_err(SandboxError::Refused)
        })
    }

    /// Switches the "Move to inbox" variant (take directly vs request).
    pub fn set_inbox_takes_directly(&self, on: bool) {
        let mut w = self.lock();
        w.inbox_takes_directly = on;
        w.changed_header = true;
    }

    /// The conversation as the user sees it.
    pub fn transcript(&self, psid: &str) -> Result<Vec<TranscriptItem>, SandboxError> {
        Ok(self.lock().user(psid)?.transcript.clone())
    }

    /// Owner, window and handover history of the user's thread.
    pub fn thread(&self, psid: &str) -> Result<ThreadView, SandboxError> {
        let now = self.inner.clock.now_ms();
        self.lock().thread_view(psid, now)
    }

    /// Current owner app id (`None` = idle).
    pub fn thread_owner(&self, psid: &str) -> Result<Option<String>, SandboxError> {
        Ok(self.lock().user(psid)?.owner.clone())
    }

    /// The page's messenger profile as stored (get_started, greeting, persistent_menu...).
    pub fn messenger_profile(&self, page_id: &str) -> Result<serde_json::Value, SandboxError> {
        let w = self.lock();
        let p = w
            .pages
            .get(page_id)
            .ok_or_else(|| SandboxError::UnknownPage(page_id.into()))?;
        Ok(serde_json::Value::Object(p.profile.clone()))
    }
}
