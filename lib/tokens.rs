//! A token estimate for budgeting context, without a tokenizer.
//!
//! About four ASCII characters make a token in the common BPE vocabularies;
//! CJK and other wide characters are closer to one token each, and the rest
//! of non-ASCII text (accented Latin, Cyrillic) sits between. The estimate is
//! meant to be calibrated against the provider's reported usage by callers
//! that have it; it only needs to be in the right range and cheap.

/// Estimated tokens in `text`.
pub fn estimate(text: &str) -> u64 {
    // Quarter-token units, to stay in integers.
    let mut quarters: u64 = 0;
    for c in text.chars() {
        quarters += match c as u32 {
            0..=0x7f => 1,
            0x1100..=0x11ff | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff => 4,
            0xfe30..=0xfe4f | 0xff00..=0xff60 | 0x1f300..=0x1faff | 0x20000..=0x3fffd => 4,
            _ => 2,
        };
    }
    quarters.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn ascii_is_about_four_chars_a_token() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("abcd"), 1);
        assert_eq!(estimate("abcde"), 2);
        assert_eq!(estimate(&"x".repeat(4000)), 1000);
    }

    #[test]
    fn wide_characters_count_about_one_each() {
        assert_eq!(estimate("日本語"), 3);
        assert_eq!(estimate("한국어"), 3);
        assert_eq!(estimate("éé"), 1);
    }
}
