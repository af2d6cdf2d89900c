//! Settings values an admin can edit, with their validation rules.

use serde::{Deserialize, Serialize};

/// The name Baton shows for the connected Facebook Page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageName(String);

impl PageName {
    pub const MAX_CHARS: usize = 100;

    /// Trims the input and checks it is 1..=100 characters.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            return Err("The page name cannot be empty.".into());
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "The page name is {chars} characters long; the limit is {}.",
                Self::MAX_CHARS
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("The page name cannot contain control characters.".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The bot disclosure of the connected page: whether the bot says it is an automated assistant
/// (before its first message in a conversation and when a user comes back from a person), and
/// in which words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotDisclosure {
    pub on: bool,
    pub text: String,
}

impl BotDisclosure {
    /// The words to store: `None` when off; the trimmed text when on (1..=2000 characters,
    /// Messenger's text limit).
    pub fn parse(on: bool, text: &str) -> Result<Option<String>, String> {
        if !on {
            return Ok(None);
        }
        let text = text.trim();
        let chars = text.chars().count();
        if chars == 0 {
            return Err("Write what the bot says about itself, or turn the disclosure off.".into());
        }
        if chars > crate::setup::MAX_BOT_DISCLOSURE_CHARS {
            return Err(format!(
                "The disclosure is {chars} characters long; Messenger allows {}.",
                crate::setup::MAX_BOT_DISCLOSURE_CHARS
            ));
        }
        Ok(Some(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::{BotDisclosure, PageName};

    #[test]
    fn a_disclosure_is_off_or_has_words() {
        assert_eq!(BotDisclosure::parse(false, "anything"), Ok(None));
        assert_eq!(
            BotDisclosure::parse(true, "  I am a bot. "),
            Ok(Some("I am a bot.".into()))
        );
        assert!(BotDisclosure::parse(true, " ").is_err());
        assert!(BotDisclosure::parse(true, &"x".repeat(2001)).is_err());
    }

    #[test]
    fn trims_and_accepts_a_normal_name() {
        assert_eq!(
            PageName::parse("  Baton Demo ").unwrap().as_str(),
            "Baton Demo"
        );
    }

    #[test]
    fn rejects_empty_and_blank() {
        assert!(PageName::parse("").is_err());
        assert!(PageName::parse("   ").is_err());
    }

    #[test]
    fn counts_characters_not_bytes() {
        let hundred_emoji = "🎉".repeat(100);
        assert!(PageName::parse(&hundred_emoji).is_ok());
        let err = PageName::parse(&"é".repeat(101)).unwrap_err();
        assert!(err.contains("101 characters"), "{err}");
    }

    #[test]
    fn rejects_control_characters() {
        assert!(PageName::parse("Baton\nDemo").is_err());
    }
}
