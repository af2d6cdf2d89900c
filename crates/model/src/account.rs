//! Accounts: roles and what each may do, sign-in input rules, and the user/audit views the
//! browser sees (never a password hash or a session token).

use serde::{Deserialize, Serialize};

/// What a person may do in Baton. Admins may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    Agent,
}

/// One capability a server function or screen needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    ManageUsers,
    ViewAudit,
    ManageSettings,
    RunSetup,
    EditFlows,
    PublishFlows,
    WorkInbox,
    UseSimulator,
}

impl Permission {
    /// Every permission, in the order declared.
    pub const ALL: [Permission; 8] = [
        Permission::ManageUsers,
        Permission::ViewAudit,
        Permission::ManageSettings,
        Permission::RunSetup,
        Permission::EditFlows,
        Permission::PublishFlows,
        Permission::WorkInbox,
        Permission::UseSimulator,
    ];
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Agent];

    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "agent" => Ok(Role::Agent),
            other => Err(format!(
                "Unknown role {other:?}; use admin, editor or agent."
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Agent => "agent",
        }
    }

    /// The single source of truth for who may do what.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Editor => matches!(permission, EditFlows | PublishFlows | UseSimulator),
            Role::Agent => matches!(permission, WorkInbox | UseSimulator),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sign-in email, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(format!("{:?} is not an email address.", input.trim()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 128 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, String> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            return Err(format!(
                "The password must be at least {} characters long.",
                Self::MIN_CHARS
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(format!(
                "The password must be at most {} characters long.",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A user as admins see it on the Users screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// Who is looking at the app right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionInfo {
    /// No user exists yet: the first-run screen creates the first admin.
    NeedsFirstAdmin,
    SignedOut,
    /// The user, and for admins what they must know now (Facebook refuses the page token, so
    /// nothing is sent; Messenger refuses handovers): shown as a banner on every screen.
    SignedIn(UserView, Option<PageAlert>),
}

/// A problem admins must know about, and the screen where it is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageAlert {
    pub text: String,
    /// E.g. "/settings".
    pub href: String,
    /// The link's words, e.g. "Open Settings".
    pub link: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Email of the person (or "cli", "system") who acted.
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively_and_reject_others() {
        assert_eq!(Role::parse(" Admin ").unwrap(), Role::Admin);
        assert_eq!(Role::parse("agent").unwrap(), Role::Agent);
        assert!(Role::parse("owner")
            .unwrap_err()
            .contains("admin, editor or agent"));
    }

    #[test]
    fn permission_matrix() {
        use Permission::*;
        let all = Permission::ALL;
        assert!(all.iter().all(|p| Role::Admin.can(*p)));
        let editor: Vec<_> = all.iter().filter(|p| Role::Editor.can(**p)).collect();
        assert_eq!(editor, [&EditFlows, &PublishFlows, &UseSimulator]);
        let agent: Vec<_> = all.iter().filter(|p| Role::Agent.can(**p)).collect();
        assert_eq!(agent, [&WorkInbox, &UseSimulator]);
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_length_rules_and_no_leak_in_debug() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
