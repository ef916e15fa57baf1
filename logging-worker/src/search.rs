//! Text search (`q`): a safe FTS5 query for D1 and the same match for archived entries.
//!
//! `q` is split on whitespace into words. A word with letters or digits becomes an FTS5
//! phrase of its tokens (`"foo-bar"` matches the tokens `foo bar` next to each other), quoted
//! so that FTS5 syntax in it (`AND`, `NEAR`, `*`, `^`, parentheses, quotes) is plain text.
//! A word made only of symbols (`--`, `%`, `"`) has no tokens for FTS5 to find, so it is
//! matched as a literal substring instead. Every word must match. Tokens are runs of
//! letters and digits compared case-insensitively, as FTS5's `unicode61` tokenizer does
//! with `remove_diacritics 0` (see the migration).

/// Longest `q` accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words accepted in `q`; each one is a condition.
pub const MAX_WORDS: usize = 16;

/// A parsed `q`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Lowercase token sequences that must each appear contiguously.
    phrases: Vec<Vec<String>>,
    /// Literal substrings that must each appear.
    substrings: Vec<String>,
}

impl Search {
    pub fn parse(q: &str) -> Result<Self, String> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("is longer than {MAX_QUERY_CHARS} characters"));
        }
        let words: Vec<&str> = q.split_whitespace().collect();
        if words.len() > MAX_WORDS {
            return Err(format!("has more than {MAX_WORDS} words"));
        }
        let mut search = Self::default();
        for word in words {
            let tokens = tokens(word);
            if tokens.is_empty() {
                search.substrings.push(word.to_owned());
            } else {
                search.phrases.push(tokens);
            }
        }
        Ok(search)
    }

    /// The FTS5 `MATCH` expression: one quoted phrase per word, implicitly AND-ed. `None`
    /// when no word has tokens. Quotes are doubled, though tokens never contain any.
    pub fn fts_query(&self) -> Option<String> {
        if self.phrases.is_empty() {
            return None;
        }
        let quoted: Vec<String> = self
            .phrases
            .iter()
            .map(|tokens| format!("\"{}\"", tokens.join(" ").replace('"', "\"\"")))
            .collect();
        Some(quoted.join(" "))
    }

    /// The substrings to test with `instr(message, ?)`.
    pub fn substrings(&self) -> &[String] {
        &self.substrings
    }

    /// Whether `message` matches, by the same rules the D1 query applies.
    pub fn matches(&self, message: &str) -> bool {
        if !self.substrings.iter().all(|s| message.contains(s.as_str())) {
            return false;
        }
        if self.phrases.is_empty() {
            return true;
        }
        let haystack = tokens(message);
        self.phrases.iter().all(|phrase| {
            haystack
                .windows(phrase.len())
                .any(|window| window == phrase.as_slice())
        })
    }
}

/// Lowercase runs of letters and digits.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(q: &str) -> Option<String> {
        Search::parse(q).unwrap().fts_query()
    }

    #[test]
    fn words_become_quoted_phrases() {
        assert_eq!(fts("disk full"), Some(r#""disk" "full""#.into()));
        assert_eq!(fts("Timeout"), Some(r#""timeout""#.into()));
        assert_eq!(fts("foo-bar"), Some(r#""foo bar""#.into()));
        assert_eq!(fts("  "), None);
    }

    #[test]
    fn fts_operators_and_quotes_are_plain_text() {
        assert_eq!(fts("a AND b"), Some(r#""a" "and" "b""#.into()));
        assert_eq!(fts("NEAR(x y)"), Some(r#""near x" "y""#.into()));
        assert_eq!(fts("ab* ^start"), Some(r#""ab" "start""#.into()));
        assert_eq!(fts(r#"say "hi""#), Some(r#""say" "hi""#.into()));
        assert_eq!(
            fts(r#"x"); DROP TABLE log_entries; --"#)
                .unwrap()
                .matches('"')
                .count(),
            8
        );
    }

    #[test]
    fn symbol_only_words_are_substrings() {
        let search = Search::parse(r#"-- % _ ; ' " *"#).unwrap();
        assert_eq!(search.fts_query(), None);
        assert_eq!(search.substrings(), ["--", "%", "_", ";", "'", "\"", "*"]);
    }

    #[test]
    fn matching_follows_phrase_and_substring_rules() {
        let search = Search::parse("Disk full").unwrap();
        assert!(search.matches("the disk is FULL now"));
        assert!(!search.matches("diskfull"));
        assert!(!search.matches("disk only"));

        let phrase = Search::parse("foo-bar").unwrap();
        assert!(phrase.matches("x foo bar y"));
        assert!(!phrase.matches("foo x bar"));

        let symbols = Search::parse("--").unwrap();
        assert!(symbols.matches("select 1 -- comment"));
        assert!(!symbols.matches("select 1 - comment"));
        assert!(Search::parse("").unwrap().matches("anything"));
    }

    #[test]
    fn long_or_wordy_queries_are_refused() {
        assert!(Search::parse(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(Search::parse(&"a ".repeat(MAX_WORDS + 1)).is_err());
        assert!(Search::parse(&"a ".repeat(MAX_WORDS)).is_ok());
    }
}
