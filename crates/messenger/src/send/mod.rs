//! Send API request/response types (§4). They serialize to exactly the shapes Meta documents
//! (see the `send_*_request.json` fixtures) and deserialize too, so the sandbox reads them.
//! The types are in `request.rs`; `validate.rs` checks a request against Messenger's limits
//! before it is sent ([`SendRequest::validate`]).

mod request;
mod validate;

pub use request::{
    Button, ControlType, MediaPayload, MessageTag, MessagingType, OutgoingAttachment,
    OutgoingMessage, QuickReply, QuickReplyType, Recipient, SendRequest, SendResponse,
    SenderAction, Template, ThreadControl, REMOVED_TAGS,
};
pub use validate::{Violation, ViolationKind};
