//! Text from AWS (names, tags, descriptions, error messages) made inert for people's screens.
//!
//! Anyone allowed to tag a resource chooses the bytes vpcaudit prints. A terminal obeys escape
//! sequences (clear the screen, move the cursor, rewrite a line), and bidirectional controls
//! reorder what a reader sees. Every human-readable output passes AWS text through [`inert`],
//! which replaces each such character with a visible escape (`\u{1b}`), so the text reads as
//! written and does nothing. Machine outputs (JSON) keep the exact bytes: JSON escapes them.

use std::borrow::Cow;

/// Whether `c` can change what a terminal or a text viewer shows beyond itself: control
/// characters (C0, DEL, C1 such as the 8-bit CSI), bidirectional and zero-width formatting
/// characters, and the Unicode line and paragraph separators.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `value` with every hazard (line breaks included) replaced by its escape: one line, inert.
pub fn inert(value: &str) -> Cow<'_, str> {
    escape(value, |_| true)
}

/// Like [`inert`], but keeps line breaks (`\n`): for multi-line text that vpcaudit itself laid
/// out, as a last pass over a whole report.
pub fn inert_lines(value: &str) -> Cow<'_, str> {
    escape(value, |c| c != '\n')
}

fn escape(value: &str, applies: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !value.chars().any(|c| is_hazard(c) && applies(c)) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if is_hazard(c) && applies(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(inert("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(inert("x\r\ny"), "x\\r\\ny");
        assert_eq!(inert("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(inert("abc\u{202E}cba"), "abc\\u{202e}cba");
        assert_eq!(inert_lines("one\ntwo\u{7}"), "one\ntwo\\u{7}");
        assert!(matches!(inert("web-1 «prod»"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn nothing_hazardous_survives(value in any::<String>()) {
            let one_line = inert(&value);
            prop_assert!(!one_line.chars().any(is_hazard));
            let lines = inert_lines(&value);
            prop_assert!(!lines.chars().any(|c| is_hazard(c) && c != '\n'));
        }
    }
}
