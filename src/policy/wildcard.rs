//! `*` / `?` wildcard matching, as RAM uses it in actions, resources and `StringLike` values.

/// Whether `text` matches `pattern`, where `*` matches any run of characters (including none and
/// including `/` and `:`) and `?` matches exactly one character. Every other character matches
/// itself (case-sensitively). Runs in O(pattern × text) at worst, without recursion.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    // Position of the last `*` seen in the pattern, and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, absorbed)) => {
                    p = star + 1;
                    t = absorbed + 1;
                    backtrack = Some((star, absorbed + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// [`matches`] ignoring case (Unicode lowercase of both sides).
pub(crate) fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches(&pattern.to_lowercase(), &text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_question_mark() {
        let cases = [
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("", "", true),
            ("", "a", false),
            ("a", "a", true),
            ("a", "A", false),
            ("src/*", "src/a.txt", true),
            ("src/*", "src/", true),
            ("src/*", "srcx/a", false),
            ("src/*", "src", false),
            ("src/*.csv", "src/deep/dir/x.csv", true),
            ("src/*.csv", "src/x.csvx", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "abbc", false),
            ("??", "éx", true),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("oss:*", "oss:PutObject", true),
            ("*literal*", "a*literal*b", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn ignore_case_variant() {
        assert!(matches_ignore_case("oss:put*", "OSS:PutObject"));
        assert!(!matches_ignore_case("oss:get*", "oss:PutObject"));
    }
}
