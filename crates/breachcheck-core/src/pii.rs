use std::fmt;

/// A plaintext value from an input, wrapped so it cannot be printed by accident: `Debug`
/// and `Display` show only its kind and length (`<email, 23 bytes>`). Errors and logs
/// reach tickets; values must not.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pii<'a> {
    kind: &'static str,
    value: &'a str,
}

impl<'a> Pii<'a> {
    /// Wraps `value`, labelled with `kind` for diagnostics.
    pub fn new(kind: &'static str, value: &'a str) -> Self {
        Pii { kind, value }
    }

    /// The plaintext, for the code that must read it (normalization, tagging).
    pub fn expose(&self) -> &'a str {
        self.value
    }
}

impl fmt::Debug for Pii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}, {} bytes>", self.kind, self.value.len())
    }
}

impl fmt::Display for Pii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let p = Pii::new("email", "alice@example.org");
        assert_eq!(format!("{p:?}"), "<email, 17 bytes>");
        assert!(!format!("{p}").contains("alice"));
        assert_eq!(p.expose(), "alice@example.org");
    }
}
