//! One raw value of one role to its canonical form, with the reason when there is none.
//! This is what `breachcheck normalize` prints, for a user asking why two values did or
//! did not match; records go through [`crate::Normalizer`], which uses the same functions.

use crate::{address, country, date, email, name, phone};
use breachcheck_core::FieldRole;
use rlibphonenumber::Region;
use std::fmt;

/// Why a value has no canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Empty or whitespace only.
    Empty,
    /// Not an e-mail address (syntax or domain).
    Email,
    /// Not parseable as a phone number.
    PhoneUnparseable,
    /// Parses, but no such number exists in its region's numbering plan.
    PhoneImpossible {
        /// The E.164 form it parsed to (the user's own input, reformatted).
        e164: String,
    },
    /// Not a calendar date.
    Date,
    /// Not a known country.
    Country,
    /// Nothing name- or address-like remains.
    Nothing,
    /// The role is not normalized (password hashes, ignored columns).
    NotNormalized(FieldRole),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("empty"),
            Invalid::Email => f.write_str("not an e-mail address with a registrable domain"),
            Invalid::PhoneUnparseable => f.write_str("not a phone number"),
            Invalid::PhoneImpossible { e164 } => {
                write!(f, "{e164} is not a possible number in its region")
            }
            Invalid::Date => f.write_str("not a calendar date with a four-digit year"),
            Invalid::Country => f.write_str("not a known country code or name"),
            Invalid::Nothing => f.write_str("nothing left after folding"),
            Invalid::NotNormalized(r) => write!(f, "role {r} is not normalized"),
        }
    }
}

/// Canonical form of `raw` in `role`. `country` (ISO alpha-2) picks postal and date rules
/// and the phone region; `default_region` is the phone region when `country` is absent.
pub fn canonical_value(
    role: FieldRole,
    raw: &str,
    country_code: Option<&str>,
    default_region: Option<Region>,
) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::Empty);
    }
    let cc = country_code.and_then(country::iso2);
    match role {
        FieldRole::Email => email::canonical(raw).ok_or(Invalid::Email),
        FieldRole::Phone => {
            let region = cc.and_then(country::region).or(default_region);
            let p = phone::canonical(raw, region).ok_or(Invalid::PhoneUnparseable)?;
            if p.valid {
                Ok(p.e164)
            } else {
                Err(Invalid::PhoneImpossible { e164: p.e164 })
            }
        }
        FieldRole::FirstName => name::canonical(Some(raw), None, None).ok_or(Invalid::Nothing),
        FieldRole::LastName => name::canonical(None, Some(raw), None).ok_or(Invalid::Nothing),
        FieldRole::FullName => name::canonical(None, None, Some(raw)).ok_or(Invalid::Nothing),
        FieldRole::Street | FieldRole::Address => {
            address::canonical(Some(raw), None).ok_or(Invalid::Nothing)
        }
        FieldRole::HouseNumber => address::canonical(None, Some(raw)).ok_or(Invalid::Nothing),
        FieldRole::City | FieldRole::Region => address::city(raw).ok_or(Invalid::Nothing),
        FieldRole::PostalCode => address::postal_code(raw, cc).ok_or(Invalid::Nothing),
        FieldRole::Country => country::iso2(raw)
            .map(str::to_owned)
            .ok_or(Invalid::Country),
        FieldRole::BirthDate => date::canonical(raw, cc == Some("US")).ok_or(Invalid::Date),
        FieldRole::CustomerId | FieldRole::OrderId | FieldRole::Username => {
            let v = crate::record::identifier(raw);
            if v.is_empty() {
                Err(Invalid::Nothing)
            } else {
                Ok(v)
            }
        }
        FieldRole::NationalId => {
            let v = crate::record::national_id(raw);
            if v.is_empty() {
                Err(Invalid::Nothing)
            } else {
                Ok(v)
            }
        }
        FieldRole::PasswordHash | FieldRole::Ignore => Err(Invalid::NotNormalized(role)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_reasons() {
        let c = |r, v| canonical_value(r, v, Some("DE"), None);
        assert_eq!(
            c(FieldRole::Phone, "0151 23456789").as_deref(),
            Ok("+4915123456789")
        );
        assert!(matches!(
            c(FieldRole::Phone, "+49 1"),
            Err(Invalid::PhoneImpossible { .. }) | Err(Invalid::PhoneUnparseable)
        ));
        assert_eq!(c(FieldRole::PostalCode, "1067").as_deref(), Ok("01067"));
        assert_eq!(c(FieldRole::Email, "nope"), Err(Invalid::Email));
        assert_eq!(
            c(FieldRole::PasswordHash, "x"),
            Err(Invalid::NotNormalized(FieldRole::PasswordHash))
        );
        assert_eq!(c(FieldRole::FullName, "  "), Err(Invalid::Empty));
    }

    /// Phone numbers, e-mail addresses, postal codes and dates read the same from
    /// full-width forms (a Japanese or Chinese export) and from Arabic-Indic or Extended
    /// Arabic-Indic digits (an Egyptian or Iranian one) as from ASCII. Identifiers keep
    /// their characters: they had a tag under these rules already (`or_ascii_forms`).
    #[test]
    fn other_scripts_digits_and_full_width_forms_read_as_ascii() {
        let wide = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                    ' ' => '\u{3000}',
                    _ => c,
                })
                .collect()
        };
        let cases = [
            (FieldRole::Phone, "03-1234-5678", "JP"),
            (FieldRole::Phone, "0100 123 4567", "EG"),
            (FieldRole::Email, "taro.yamada@example.co.jp", "JP"),
            (FieldRole::PostalCode, "100-0001", "JP"),
            (FieldRole::PostalCode, "11511", "EG"),
            (FieldRole::BirthDate, "1985-03-02", "JP"),
            (FieldRole::BirthDate, "02/03/1985", "EG"),
        ];
        for (role, ascii, cc) in cases {
            let want = canonical_value(role, ascii, Some(cc), None);
            assert!(want.is_ok(), "{role:?} {ascii}: {want:?}");
            let mut forms = vec![wide(ascii)];
            if role != FieldRole::Email {
                forms.push(crate::text::in_digits_of(ascii, 0x0660));
                forms.push(crate::text::in_digits_of(ascii, 0x06F0));
                forms.push(crate::text::in_digits_of(ascii, 0xFF10));
            }
            for form in forms {
                assert_eq!(
                    canonical_value(role, &form, Some(cc), None),
                    want,
                    "{role:?} {form}"
                );
            }
        }
        // A value these rules read as something keeps what it reads as.
        for (role, form, was) in [
            (
                FieldRole::CustomerId,
                "Ｃ００１２３４５",
                "ｃ００１２３４５",
            ),
            (FieldRole::NationalId, "٢٩٠٠١٠١١٢٣٤٥٦٧", "٢٩٠٠١٠١١٢٣٤٥٦٧"),
            (
                FieldRole::Email,
                "ｔａｒｏ@example.com",
                "ｔａｒｏ@example.com",
            ),
            (FieldRole::PostalCode, "SW1A １AA", "SW1AAA"),
        ] {
            assert_eq!(
                canonical_value(role, form, Some("GB"), None).as_deref(),
                Ok(was),
                "{role:?}"
            );
        }
    }
}
