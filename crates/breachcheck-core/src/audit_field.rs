//! What "a distinct canonical value" is, once, for the two counts that must agree: a
//! third-party audit's intersection (`breachcheck-audit`) and verify's
//! `matches.exact_values`. Each counts distinct values of the same three kinds, made of the
//! same canonical fields; the audit tells values apart by their canonical strings, verify
//! by the keyed tags of those strings ([`AuditField::identity`]), which under one key are
//! one-to-one with them.
use crate::MatchField;

/// The fields an audit counts (and verify's exact values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum AuditField {
    /// Canonical e-mail address.
    Email = 0,
    /// Phone number in E.164.
    Phone = 1,
    /// Canonical name and canonical street address together.
    NameAddress = 2,
}

impl AuditField {
    /// All fields, in wire order.
    pub const ALL: [AuditField; 3] = [
        AuditField::Email,
        AuditField::Phone,
        AuditField::NameAddress,
    ];

    /// Name in JSON and transcripts.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditField::Email => "email",
            AuditField::Phone => "phone",
            AuditField::NameAddress => "name_address",
        }
    }

    /// The field of wire byte `b`.
    pub fn from_u8(b: u8) -> Option<Self> {
        AuditField::ALL.get(usize::from(b)).copied()
    }

    /// The canonical fields this audited field is made of (name + address: both, of one
    /// record or line).
    pub fn match_fields(self) -> &'static [MatchField] {
        use MatchField as M;
        match self {
            AuditField::Email => &[M::Email],
            AuditField::Phone => &[M::Phone],
            AuditField::NameAddress => &[M::Name, M::Address],
        }
    }

    /// The OPRF input for a canonical value of this field: domain, rules version and field
    /// are bound in, so values of different fields or rule versions never meet.
    pub fn input(self, canonical: &str) -> Vec<u8> {
        format!(
            "breachcheck.audit/v1\0rules={}\0{}\0{canonical}",
            crate::RULES_VERSION,
            self.as_str()
        )
        .into_bytes()
    }

    /// The identity of a line's value of this field from the canonical tags of its
    /// [`AuditField::match_fields`] (`tag` gives a field's canonical tag, `None` when the
    /// line lacks it): equal identities are equal canonical values. `None` when a part is
    /// missing (the line has no value of this field).
    pub fn identity(self, tag: impl Fn(MatchField) -> Option<u64>) -> Option<u64> {
        self.match_fields().iter().try_fold(0u64, |acc, f| {
            // Mixed position by position (a multiply-rotate per part): the parts are keyed
            // hashes already, so this only has to keep their order apart.
            tag(*f).map(|t| acc.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_need_every_part_and_keep_them_apart() {
        let tags = |n: Option<u64>, a: Option<u64>| {
            move |f: MatchField| match f {
                MatchField::Name => n,
                MatchField::Address => a,
                _ => None,
            }
        };
        let na = AuditField::NameAddress;
        assert_eq!(na.identity(tags(Some(1), None)), None);
        assert_ne!(
            na.identity(tags(Some(1), Some(2))),
            na.identity(tags(Some(2), Some(1)))
        );
        assert_eq!(
            na.identity(tags(Some(1), Some(2))),
            na.identity(tags(Some(1), Some(2)))
        );
        assert_eq!(AuditField::from_u8(2), Some(na));
    }
}
