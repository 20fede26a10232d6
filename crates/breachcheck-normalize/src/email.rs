//! E-mail addresses: trimmed, lower-cased, IDN domains in ASCII (punycode), and the
//! provider rules of mailbox providers that ignore dots or sub-address tags.

/// Providers whose mailboxes ignore dots in the local part and `+tag` suffixes.
const DOTS_AND_PLUS: &[&str] = &["gmail.com", "googlemail.com"];
/// Providers that ignore `+tag` suffixes but not dots.
const PLUS_ONLY: &[&str] = &[
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "hotmail.it",
    "hotmail.es",
    "live.com",
    "live.de",
    "live.fr",
    "live.co.uk",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "protonmail.ch",
    "proton.me",
    "pm.me",
    "fastmail.com",
    "fastmail.fm",
    "gmx.de",
    "gmx.net",
    "web.de",
    "zoho.com",
];
/// Providers that treat `.` and `-` in the local part alike and ignore `+tag`.
const YANDEX: &[&str] = &[
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "yandex.ua",
    "yandex.by",
    "yandex.kz",
];
/// Longest address accepted (RFC 5321 path limit); longer input is not an address.
const MAX_LEN: usize = 254;

/// The canonical form of an e-mail address, or `None` when the input is not an address.
pub fn canonical(raw: &str) -> Option<String> {
    crate::text::or_ascii_forms(raw, canonical_as_is)
}

/// [`canonical`] of text as it is.
fn canonical_as_is(raw: &str) -> Option<String> {
    let s = raw.trim();
    // "Ana López <ana@example.es>": the address is inside the angle brackets.
    let s = match (s.rfind('<'), s.ends_with('>')) {
        (Some(i), true) if i > 0 => &s[i..],
        _ => s,
    };
    let s = s.trim_start_matches('<').trim_end_matches('>');
    let s = match s.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &s[7..],
        _ => s,
    };
    if s.is_empty() || s.len() > MAX_LEN || s.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    let (local, domain) = s.rsplit_once('@')?;
    if local.is_empty() || local.len() > 64 || domain.is_empty() || !plausible_local(local) {
        return None;
    }
    let mut domain = idna::domain_to_ascii(domain.trim_end_matches('.')).ok()?;
    if !plausible_domain(&domain) {
        return None;
    }
    let mut local = local.to_lowercase();
    if DOTS_AND_PLUS.contains(&domain.as_str()) {
        domain = "gmail.com".to_owned();
        local = strip_tag(&local, '+').replace('.', "");
    } else if PLUS_ONLY.contains(&domain.as_str()) {
        local = strip_tag(&local, '+').to_owned();
    } else if YANDEX.contains(&domain.as_str()) {
        domain = "yandex.ru".to_owned();
        local = strip_tag(&local, '+').replace('.', "-");
    }
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// An unquoted local part (RFC 5321 dot-atom, with RFC 6531's non-ASCII letters) or a
/// quoted one.
fn plausible_local(local: &str) -> bool {
    if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        return true;
    }
    !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '@' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\' | '"'
                )
        })
}

fn strip_tag(local: &str, sep: char) -> &str {
    match local.split_once(sep) {
        Some((base, _)) if !base.is_empty() => base,
        _ => local,
    }
}

/// A domain that could be registered: at least two labels, letters-only TLD of two or more,
/// labels of at most 63 characters that neither start nor end with a hyphen.
fn plausible_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    let tld_ok =
        tld.len() >= 2 && (tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--"));
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// What kind of mailbox a (canonical) address names, beyond being syntactically valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainKind {
    /// An ordinary domain.
    Ordinary,
    /// A domain reserved for documentation or testing (RFC 2606/6761: example.*, *.test,
    /// *.invalid, *.localhost, *.example, *.local): no real customer has one.
    Reserved,
    /// A disposable-mail provider (the maintained `mailchecker` list): throwaway mailboxes,
    /// common in generated and abusive sign-ups.
    Disposable,
}

/// Classifies the domain of a canonical address.
pub fn domain_kind(canonical: &str) -> DomainKind {
    let Some((_, domain)) = canonical.rsplit_once('@') else {
        return DomainKind::Ordinary;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    let sld = labels
        .len()
        .checked_sub(2)
        .and_then(|i| labels.get(i))
        .copied()
        .unwrap_or("");
    if matches!(tld, "test" | "invalid" | "localhost" | "example" | "local")
        || (sld == "example" && matches!(tld, "com" | "org" | "net"))
    {
        return DomainKind::Reserved;
    }
    static DISPOSABLE: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let set = DISPOSABLE.get_or_init(|| mailchecker::blacklist().into_iter().collect());
    // The domain or any parent domain on the list.
    let mut d = domain;
    loop {
        if set.contains(d) {
            return DomainKind::Disposable;
        }
        match d.split_once('.') {
            Some((_, rest)) if rest.contains('.') => d = rest,
            _ => return DomainKind::Ordinary,
        }
    }
}

/// Whether a value looks like an e-mail address, for role inference.
pub fn looks_like(raw: &str) -> bool {
    let raw = crate::ascii_forms(raw);
    let s = raw.trim();
    s.len() >= 6 && s.contains('@') && canonical(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn provider_rules() {
        let c = |s| canonical(s);
        assert_eq!(c("J.Doe+news@gmail.com").as_deref(), Some("jdoe@gmail.com"));
        assert_eq!(c("jdoe@googlemail.com").as_deref(), Some("jdoe@gmail.com"));
        assert_eq!(
            c("j.doe+x@outlook.com").as_deref(),
            Some("j.doe@outlook.com")
        );
        assert_eq!(
            c("j.doe+x@example.com").as_deref(),
            Some("j.doe+x@example.com")
        );
        assert_eq!(
            c("ivan.petrov@yandex.com").as_deref(),
            Some("ivan-petrov@yandex.ru")
        );
        assert_eq!(
            c("<Mailto:x@Example.COM>").as_deref(),
            Some("x@example.com")
        );
        assert_eq!(c("mailto:x@Example.COM").as_deref(), Some("x@example.com"));
        assert_eq!(
            c("Ana López <Ana@Example.es>").as_deref(),
            Some("ana@example.es")
        );
    }

    #[test]
    fn idn_domains_to_punycode() {
        assert_eq!(
            canonical("jürgen@müller.de").as_deref(),
            Some("jürgen@xn--mller-kva.de")
        );
        assert_eq!(canonical("a@MÜLLER.de"), canonical("a@xn--mller-kva.de"));
    }

    #[test]
    fn reserved_and_disposable_domains() {
        assert_eq!(domain_kind("a@example.com"), DomainKind::Reserved);
        assert_eq!(domain_kind("a@shop.test"), DomainKind::Reserved);
        assert_eq!(domain_kind("a@mailinator.com"), DomainKind::Disposable);
        assert_eq!(domain_kind("a@guerrillamail.com"), DomainKind::Disposable);
        assert_eq!(domain_kind("a@web.de"), DomainKind::Ordinary);
        assert_eq!(domain_kind("a@gmail.com"), DomainKind::Ordinary);
    }

    #[test]
    fn rejects_non_addresses() {
        for s in [
            "",
            "plain",
            "a@b",
            "@x.com",
            "a b@x.com",
            "a@-x.com",
            "a@x.c0m",
            "a@x.c",
        ] {
            assert_eq!(canonical(s), None, "{s}");
        }
    }

    proptest! {
        #[test]
        fn idempotent(s in "[a-zA-Z0-9.+_-]{1,20}@[a-zA-Z0-9-]{1,10}\\.(com|de|org|ru)") {
            if let Some(c) = canonical(&s) {
                prop_assert_eq!(canonical(&c), Some(c));
            }
        }
    }
}
