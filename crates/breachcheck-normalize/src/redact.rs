//! Redacted shapes of values, for reports whose reader asked to see examples: enough to
//! tell a column's kind and format ("j***@g****.com", "+49 *** ****89", "****-**-**"),
//! never enough to recover the value. Only `verify --redacted-examples` calls this.

use breachcheck_core::FieldRole;

/// The redacted shape of `value` in a column of `role`; `None` for roles never shown
/// (password hashes, ignored columns).
pub fn redact(role: FieldRole, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return Some(String::new());
    }
    Some(match role {
        FieldRole::PasswordHash | FieldRole::Ignore => return None,
        FieldRole::Email => match v.rsplit_once('@') {
            Some((local, domain)) => {
                let tld = domain.rsplit_once('.').map_or("", |(_, t)| t);
                format!("{}***@{}****.{tld}", first(local), first(domain))
            }
            None => format!("{}***", first(v)),
        },
        FieldRole::Phone => {
            // Separators kept, digits masked but for a leading "+" and its first digits
            // (the country) and the last two.
            let digits = v.chars().filter(char::is_ascii_digit).count();
            let mut seen = 0usize;
            let lead = if v.starts_with('+') { 2 } else { 0 };
            v.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        seen += 1;
                        if seen <= lead || seen + 2 > digits {
                            c
                        } else {
                            '*'
                        }
                    } else if c.is_alphanumeric() {
                        '*'
                    } else {
                        c
                    }
                })
                .collect()
        }
        FieldRole::BirthDate => v
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect(),
        _ => {
            let n = v.chars().count();
            format!("{}{}", first(v), "*".repeat((n - 1).clamp(1, 4)))
        }
    })
}

fn first(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_keep_the_format_and_drop_the_value() {
        assert_eq!(
            redact(FieldRole::Email, "jane.doe@gmail.com").as_deref(),
            Some("j***@g****.com")
        );
        assert_eq!(
            redact(FieldRole::Phone, "+49 151 2345678").as_deref(),
            Some("+49 *** *****78")
        );
        assert_eq!(
            redact(FieldRole::BirthDate, "1985-03-02").as_deref(),
            Some("****-**-**")
        );
        assert_eq!(
            redact(FieldRole::LastName, "Müller").as_deref(),
            Some("M****")
        );
        assert_eq!(redact(FieldRole::City, "Ulm").as_deref(), Some("U**"));
        assert_eq!(redact(FieldRole::PasswordHash, "5f4dcc3b"), None);
        // Nothing of the value but its first letter survives.
        for (role, v) in [
            (FieldRole::FullName, "Ana López"),
            (FieldRole::Street, "Calle Mayor 5"),
        ] {
            let r = redact(role, v).expect("shown");
            assert!(!r.contains("López") && !r.contains("Mayor"), "{r}");
        }
    }
}
