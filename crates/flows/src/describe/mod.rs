//! `describe_changes`: a line-by-line diff of two flow versions in plain words, for the
//! versions screen (the one-line summary is [`crate::diff::summarize_changes`]).

use crate::model::{Action, Flow, KeywordRule, MatchKind, Message, Part};

/// Quoted texts longer than this many characters are shortened with `…` in the middle.
const QUOTE_MAX: usize = 60;

/// What changed from `old` to `new`, one readable line per change, in document order
/// (version, messages, triggers, handover settings, persistent menu, greeting). Empty when
/// the flows are equal.
///
/// Messages are matched by key (a changed key reads as one message removed and one added)
/// and named by their name in curly quotes, e.g. `Added message “Talk to a human”`,
/// `“Main menu”, part 1: text changed from “How can we help?” to “Hi!”`,
/// `“Main menu”, part 1: button “Talk to human” now hands over to the Page Inbox
/// (confirmation “Now with a person”)`, `Get Started message: “Main menu” -> “Welcome”`.
/// References are named by the message's name in the new flow (else the old one, else the
/// key). Every change [`crate::diff::summarize_changes`] counts gets at least one line.
pub fn describe_changes<'a>(old: &'a Flow, new: &'a Flow) -> Vec<String> {
    let mut d = Describer {
        old,
        new,
        out: Vec::new(),
    };
    if old.version != new.version {
        d.push(format!(
            "Format version changed from {} to {}",
            old.version, new.version
        ));
    }
    d.messages();
    let (t, u) = (&old.triggers, &new.triggers);
    d.section(t != u, "Triggers changed", |d| {
        d.choice("Get Started message", ": ", &t.get_started, &u.get_started);
        d.choice("Fallback message", ": ", &t.fallback, &u.fallback);
        d.keyword_rules(&t.keywords, &u.keywords);
    });
    let (h, i) = (old.handover.clone(), new.handover.clone());
    d.section(h != i, "Handover settings changed", |d| {
        let (h, i) = (h.unwrap_or_default(), i.unwrap_or_default());
        let to_inbox = "Handover settings changed: message when moved to the Page Inbox";
        d.choice(to_inbox, " ", &h.to_inbox_message, &i.to_inbox_message);
        let back = "Handover settings changed: message when moved back to the bot";
        d.choice(back, " ", &h.back_to_bot_message, &i.back_to_bot_message);
        if h.unavailable_text != i.unavailable_text {
            d.push(match &i.unavailable_text {
                Some(t) => format!(
                    "Handover settings changed: text when no one can take the conversation set to {}",
                    quote(t)
                ),
                None => "Handover settings changed: text when no one can take the conversation \
                         back to the default"
                    .to_owned(),
            });
        }
    });
    let menu = |f: &'a Flow| tappables(&f.persistent_menu, |m| (&m.title, &m.action));
    let (a, b) = (menu(old), menu(new));
    d.section(a != b, "Persistent menu changed", |d| {
        d.tappables("Persistent menu: ", ("item", "items"), &a, &b);
    });
    match (&old.greeting, &new.greeting) {
        (Some(a), Some(b)) if a != b => {
            d.push(format!(
                "Greeting changed from {} to {}",
                quote(a),
                quote(b)
            ));
        }
        (None, Some(b)) => d.push(format!("Greeting set to {}", quote(b))),
        (Some(_), None) => d.push("Greeting removed".into()),
        _ => {}
    }
    d.out
}

/// A button, quick reply or menu item: its title and action.
type Tappable<'a> = (&'a str, &'a Action);

/// The title and action of each button, quick reply or menu item of `items`.
fn tappables<T>(items: &[T], parts: fn(&T) -> (&String, &Action)) -> Vec<Tappable<'_>> {
    let pair = |item| {
        let (title, action) = parts(item);
        (title.as_str(), action)
    };
    items.iter().map(pair).collect()
}

struct Describer<'a> {
    old: &'a Flow,
    new: &'a Flow,
    out: Vec<String>,
}

impl Describer<'_> {
    fn push(&mut self, line: String) {
        self.out.push(line);
    }

    /// Runs `describe`; if `changed` but it found nothing to say, adds `fallback`.
    fn section(&mut self, changed: bool, fallback: &str, describe: impl FnOnce(&mut Self)) {
        let before = self.out.len();
        describe(self);
        if changed && self.out.len() == before {
            self.push(fallback.to_owned());
        }
    }

    /// `“Name”` of the message `key` (new flow first, then old, else the key itself).
    fn message(&self, key: &str) -> String {
        if key.is_empty() {
            return "(none chosen)".to_owned();
        }
        let flow = if self.new.message(key).is_some() {
            self.new
        } else {
            self.old
        };
        quote(flow.message_name(key))
    }

    /// What an action does, as the end of a sentence: `goes to message “Main menu”`.
    fn action(&self, action: &Action) -> String {
        match action {
            Action::GoTo { message } => format!("goes to message {}", self.message(message)),
            Action::Url { url } => format!("opens {}", shorten(url)),
            Action::Handover { confirmation, .. } => format!(
                "hands over to the Page Inbox (confirmation {})",
                self.message(confirmation)
            ),
            Action::ReturnToBot { confirmation } => format!(
                "passes control back to the bot (confirmation {})",
                self.message(confirmation)
            ),
        }
    }

    /// `{label}{sep}A -> B`, `{label} set to B` or `{label} cleared`.
    fn choice(&mut self, label: &str, sep: &str, old: &Option<String>, new: &Option<String>) {
        match (old, new) {
            (Some(a), Some(b)) if a != b => {
                let line = format!("{label}{sep}{} -> {}", self.message(a), self.message(b));
                self.push(line);
            }
            (None, Some(b)) => self.push(format!("{label} set to {}", self.message(b))),
            (Some(_), None) => self.push(format!("{label} cleared")),
            _ => {}
        }
    }

    fn messages(&mut self) {
        let (old, new) = (&self.old.messages, &self.new.messages);
        let pairing = pair_up(old, new, |a, b| a.key == b.key, false);
        for &o in &pairing.removed {
            self.push(format!("Removed message {}", quote(&old[o].name)));
        }
        for (m, matched) in new.iter().zip(&pairing.matches) {
            match matched {
                None => self.push(format!("Added message {}", quote(&m.name))),
                Some(o) => self.message_changes(&old[*o], m),
            }
        }
        if pairing.reordered() {
            self.push("Messages reordered".to_owned());
        }
    }

    fn message_changes(&mut self, old: &Message, new: &Message) {
        let name = quote(&new.name);
        self.section(old != new, &format!("{name}: changed"), |d| {
            if old.name != new.name {
                d.push(format!("{name}: renamed from {}", quote(&old.name)));
            }
            for i in 0..old.parts.len().max(new.parts.len()) {
                let at = format!("{name}, part {}", i + 1);
                match (old.parts.get(i), new.parts.get(i)) {
                    (Some(a), Some(b)) => d.part(&at, a, b),
                    (None, Some(b)) => d.push(format!("{at} added ({})", b.type_name())),
                    (Some(a), None) => d.push(format!("{at} removed ({})", a.type_name())),
                    (None, None) => {}
                }
            }
        });
    }

    fn part(&mut self, at: &str, old: &Part, new: &Part) {
        match (old, new) {
            (Part::Text(a), Part::Text(b)) if a.text != b.text => {
                let (x, y) = (quote(&a.text), quote(&b.text));
                if x == y {
                    self.push(format!("{at}: text changed"));
                } else {
                    self.push(format!("{at}: text changed from {x} to {y}"));
                }
            }
            (Part::Image(a), Part::Image(b)) if a.url != b.url => {
                self.push(format!("{at}: image address changed"));
            }
            (Part::Typing(a), Part::Typing(b)) if a.seconds != b.seconds => {
                let (x, y) = (a.seconds, b.seconds);
                self.push(format!("{at}: typing delay {x} s -> {y} s"));
            }
            _ if old.type_name() != new.type_name() => {
                let now = match new {
                    Part::Text(_) => "text",
                    Part::Image(_) => "an image",
                    Part::Typing(_) => "a typing delay",
                };
                self.push(format!("{at} is now {now} (was {})", old.type_name()));
                return;
            }
            _ => {}
        }
        let at = format!("{at}: ");
        let buttons = |p| tappables(Part::buttons(p), |b| (&b.title, &b.action));
        self.tappables(&at, ("button", "buttons"), &buttons(old), &buttons(new));
        let replies = |p| tappables(Part::quick_replies(p), |q| (&q.title, &q.action));
        let (a, b) = (replies(old), replies(new));
        self.tappables(&at, ("quick reply", "quick replies"), &a, &b);
    }

    /// Buttons, quick replies or menu items: matched by title, then the rest by position
    /// (renames).
    fn tappables(&mut self, at: &str, noun: (&str, &str), old: &[Tappable], new: &[Tappable]) {
        let (one, many) = noun;
        let pairing = pair_up(old, new, |a, b| a.0 == b.0, true);
        for &o in &pairing.removed {
            self.push(format!("{at}{one} {} removed", quote(old[o].0)));
        }
        for (n, (&(title, action), matched)) in new.iter().zip(&pairing.matches).enumerate() {
            let Some(o) = *matched else {
                let does = self.action(action);
                self.push(format!("{at}{one} {} added ({does})", quote(title)));
                continue;
            };
            let (old_title, old_action) = old[o];
            if old_title != title {
                let (x, y) = (quote(old_title), quote(title));
                self.push(format!("{at}{one} {} renamed {x} -> {y}", n + 1));
            }
            if old_action != action {
                let does = self.action(action);
                self.push(format!("{at}{one} {} now {does}", quote(title)));
            }
        }
        if pairing.reordered() {
            self.push(format!("{at}{many} reordered"));
        }
    }

    fn keyword_rules(&mut self, old: &[KeywordRule], new: &[KeywordRule]) {
        let pairing = pair_up(old, new, |a, b| a == b, true);
        for &o in &pairing.removed {
            let line = format!("Keyword rule {} removed: {}", o + 1, self.rule(&old[o]));
            self.push(line);
        }
        for (n, (rule, matched)) in new.iter().zip(&pairing.matches).enumerate() {
            let what = match matched {
                None => "added",
                Some(o) if old[*o] != *rule => "changed",
                Some(_) => continue,
            };
            let line = format!("Keyword rule {} {what}: {}", n + 1, self.rule(rule));
            self.push(line);
        }
        if pairing.reordered() {
            self.push("Keyword rules reordered".to_owned());
        }
    }

    /// `exact “human, agent” -> message “Talk to a human”`.
    fn rule(&self, rule: &KeywordRule) -> String {
        let kind = match rule.match_kind {
            MatchKind::Exact => "exact",
            MatchKind::Contains => "contains",
        };
        let words = quote(&rule.words.join(", "));
        format!("{kind} {words} -> message {}", self.message(&rule.message))
    }
}

/// How the items of two versions of a list correspond.
struct Pairing {
    /// For each new item, the old item it continues (`None`: added).
    matches: Vec<Option<usize>>,
    /// Old items that have no new counterpart.
    removed: Vec<usize>,
}

impl Pairing {
    /// True when items present in both lists are in another order.
    fn reordered(&self) -> bool {
        let old: Vec<usize> = self.matches.iter().flatten().copied().collect();
        old.windows(2).any(|w| w[0] > w[1])
    }
}

/// Pairs each new item with the first unpaired old item that is `same`. With
/// `by_position`, the items left over on both sides are then paired in order (read as an
/// edit in place rather than a removal plus an addition); the rest are added / removed.
fn pair_up<T>(old: &[T], new: &[T], same: impl Fn(&T, &T) -> bool, by_position: bool) -> Pairing {
    let mut used = vec![false; old.len()];
    let mut matches = Vec::with_capacity(new.len());
    for n in new {
        let found = (0..old.len()).find(|&o| !used[o] && same(&old[o], n));
        if let Some(o) = found {
            used[o] = true;
        }
        matches.push(found);
    }
    let mut removed: Vec<usize> = (0..old.len()).filter(|&o| !used[o]).collect();
    if by_position {
        let unmatched = matches.iter_mut().filter(|m| m.is_none());
        let paired = unmatched.zip(&removed).map(|(m, &o)| *m = Some(o)).count();
        removed.drain(..paired);
    }
    Pairing { matches, removed }
}

/// `text` in curly quotes, on one line and shortened (see [`shorten`]).
fn quote(text: &str) -> String {
    format!("“{}”", shorten(text))
}

/// Whitespace runs (newlines too) become one space; over [`QUOTE_MAX`] characters the
/// middle is cut out and replaced by `…`.
fn shorten(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = line.chars().count();
    if n <= QUOTE_MAX {
        return line;
    }
    let head: String = line.chars().take(QUOTE_MAX * 2 / 3).collect();
    let tail: String = line.chars().skip(n - (QUOTE_MAX / 3 - 1)).collect();
    format!("{}…{}", head.trim_end(), tail.trim_start())
}

#[cfg(test)]
mod tests;
