//! Kubernetes names and label values from Cubist's names: lowercase, `[a-z0-9-]`, bounded,
//! starting and ending with a letter or digit, so whatever a pipeline is called, the objects
//! made for it are valid.

/// A name fragment (`[a-z0-9-]`, at most `max` characters, no dashes at either end).
pub fn slug(text: &str, max: usize) -> String {
    let mapped: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let squeezed = mapped.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    let cut: String = squeezed.chars().take(max).collect();
    cut.trim_matches('-').to_owned()
}

/// A label value (`[A-Za-z0-9_.-]`, at most 63 characters, alphanumeric at both ends; may be
/// empty).
pub fn label_value(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .take(63)
        .collect();
    mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_becomes_a_valid_name_or_label() {
        assert_eq!(slug("My Pipeline_2 (test)", 40), "my-pipeline-2-test");
        assert_eq!(slug("--a--b--", 40), "a-b");
        assert_eq!(slug("abcdef", 3), "abc");
        assert_eq!(slug("ab-cdef", 3), "ab");
        assert_eq!(label_value("训练 pipeline.v2"), "pipeline.v2");
        assert_eq!(label_value(&"x".repeat(80)).len(), 63);
        assert_eq!(label_value("-_-"), "");
    }
}
