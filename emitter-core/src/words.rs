//! The words a tick draws from: the built-in list, or a list the user gives.

/// The built-in word list. A tick draws from its first N words (N = 10 by default), so the
/// first ten are the design's word set, in its order; the rest let `--words` go up to 24.
pub const BUILTIN_WORDS: [&str; 24] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega",
];

/// How many words of the built-in list a tick draws from when the user does not say.
pub const DEFAULT_BUILTIN_WORDS: usize = 10;

/// Splits a comma-separated word list (`"red, green,blue"`) into its words, trimming the
/// blanks around each one. Empty words are kept, so that validation can point at them.
pub fn parse_word_list(list: &str) -> Vec<String> {
    list.split(',').map(|word| word.trim().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_starts_with_the_design_words_in_order() {
        let design = [
            "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
        ];
        assert_eq!(BUILTIN_WORDS[..DEFAULT_BUILTIN_WORDS], design);
    }

    #[test]
    fn builtin_list_has_no_duplicate() {
        let mut sorted = BUILTIN_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), BUILTIN_WORDS.len());
    }

    #[test]
    fn word_list_is_split_on_commas_and_trimmed() {
        assert_eq!(
            parse_word_list(" red, green ,blue"),
            ["red", "green", "blue"]
        );
    }

    #[test]
    fn word_list_keeps_empty_words_for_validation() {
        assert_eq!(parse_word_list("red,,blue,"), ["red", "", "blue", ""]);
        assert_eq!(parse_word_list(""), [""]);
    }
}
