use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a column of a sample or an export holds. Users name roles with `--map COLUMN=ROLE`;
/// the names here are part of the command-line contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// An e-mail address.
    Email,
    /// A phone number in any format.
    Phone,
    /// Given name(s).
    FirstName,
    /// Family name(s).
    LastName,
    /// A whole personal name in one column.
    FullName,
    /// Street name, possibly with the house number.
    Street,
    /// House number alone.
    HouseNumber,
    /// A whole address line (street, number, maybe more).
    Address,
    /// City or town.
    City,
    /// Postal code.
    PostalCode,
    /// State, province or region.
    Region,
    /// Country (name, ISO 3166 alpha-2 or alpha-3).
    Country,
    /// Date of birth.
    BirthDate,
    /// A system's customer identifier.
    CustomerId,
    /// A system's order identifier.
    OrderId,
    /// Login name.
    Username,
    /// A national identifier: social security, tax, passport or identity-card number. It
    /// names one person, but many services hold it, so it is never evidence that only the
    /// company could have supplied the line.
    NationalId,
    /// A password hash (never indexed: it is a secret, not an identity).
    PasswordHash,
    /// A column to leave alone.
    Ignore,
}

impl FieldRole {
    /// Every role, in contract order.
    pub const ALL: [FieldRole; 19] = [
        FieldRole::Email,
        FieldRole::Phone,
        FieldRole::FirstName,
        FieldRole::LastName,
        FieldRole::FullName,
        FieldRole::Street,
        FieldRole::HouseNumber,
        FieldRole::Address,
        FieldRole::City,
        FieldRole::PostalCode,
        FieldRole::Region,
        FieldRole::Country,
        FieldRole::BirthDate,
        FieldRole::CustomerId,
        FieldRole::OrderId,
        FieldRole::Username,
        FieldRole::NationalId,
        FieldRole::PasswordHash,
        FieldRole::Ignore,
    ];

    /// The contract name of the role, as accepted by `--map`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldRole::Email => "email",
            FieldRole::Phone => "phone",
            FieldRole::FirstName => "first_name",
            FieldRole::LastName => "last_name",
            FieldRole::FullName => "full_name",
            FieldRole::Street => "street",
            FieldRole::HouseNumber => "house_number",
            FieldRole::Address => "address",
            FieldRole::City => "city",
            FieldRole::PostalCode => "postal_code",
            FieldRole::Region => "region",
            FieldRole::Country => "country",
            FieldRole::BirthDate => "birth_date",
            FieldRole::CustomerId => "customer_id",
            FieldRole::OrderId => "order_id",
            FieldRole::Username => "username",
            FieldRole::NationalId => "national_id",
            FieldRole::PasswordHash => "password_hash",
            FieldRole::Ignore => "ignore",
        }
    }
}

impl fmt::Display for FieldRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not part of the contract.
#[derive(Debug, thiserror::Error)]
#[error("unknown role (expected one of: {})", FieldRole::ALL.map(FieldRole::as_str).join(", "))]
pub struct UnknownRole;

impl FromStr for FieldRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(UnknownRole)
    }
}

/// What two records are compared on. Several roles fold into one field (first and last
/// name into [`MatchField::Name`], street and house number into [`MatchField::Address`]) so
/// that a sample that splits or joins columns differently from the source still compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchField {
    /// Canonical e-mail.
    Email = 0,
    /// E.164 phone number.
    Phone = 1,
    /// Personal name, tokens transliterated and sorted.
    Name = 2,
    /// Street address with house number, tokens sorted.
    Address = 3,
    /// City.
    City = 4,
    /// Postal code.
    PostalCode = 5,
    /// ISO 3166 alpha-2 country.
    Country = 6,
    /// ISO 8601 date of birth.
    BirthDate = 7,
    /// Login name.
    Username = 8,
    /// Customer identifier.
    CustomerId = 9,
    /// Order identifier.
    OrderId = 10,
    /// Personal name in its own script (not transliterated), for names written in a
    /// non-Latin script: two names that transliterate alike but are written differently
    /// (王/汪 both "wang") are different names.
    NameNative = 11,
    /// National identifier (social security, tax, passport number): letters and digits,
    /// upper-cased. Identifying, but held by many services besides the company.
    NationalId = 12,
}

impl MatchField {
    /// Number of fields; the width of per-record field arrays.
    pub const COUNT: usize = 13;
    /// Mask with every field's bit set.
    pub const ALL_BITS: u16 = (1 << Self::COUNT) - 1;
    /// Every field, in index order (the order of the on-disk record table).
    pub const ALL: [MatchField; 13] = [
        MatchField::Email,
        MatchField::Phone,
        MatchField::Name,
        MatchField::Address,
        MatchField::City,
        MatchField::PostalCode,
        MatchField::Country,
        MatchField::BirthDate,
        MatchField::Username,
        MatchField::CustomerId,
        MatchField::OrderId,
        MatchField::NameNative,
        MatchField::NationalId,
    ];

    /// Position in per-record arrays and bit in agreement masks.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Bit of this field in a `u16` agreement mask.
    pub const fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Whether the field describes a person (as opposed to a system's own identifier).
    pub fn is_pii(self) -> bool {
        !self.is_internal_id()
    }

    /// Whether the field is an identifier a system assigned (customer or order id).
    pub fn is_internal_id(self) -> bool {
        matches!(self, MatchField::CustomerId | MatchField::OrderId)
    }

    /// Whether agreement on this field alone points at one person: country and city are
    /// shared by millions, so they never make a match on their own or with an identifier.
    pub fn is_identifying(self) -> bool {
        matches!(
            self,
            MatchField::Email
                | MatchField::Phone
                | MatchField::Name
                | MatchField::Address
                | MatchField::BirthDate
                | MatchField::Username
                | MatchField::NationalId
        )
    }

    /// Whether reproducing the raw representation of this field is evidence of copying.
    /// Capitalisation of names or cities is what any list has, so those do not count;
    /// how a phone, an e-mail, an address or a date was written is a system's own habit.
    pub fn carries_quirks(self) -> bool {
        matches!(
            self,
            MatchField::Email
                | MatchField::Phone
                | MatchField::Address
                | MatchField::PostalCode
                | MatchField::BirthDate
        )
    }

    /// Contract name of the field in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchField::Email => "email",
            MatchField::Phone => "phone",
            MatchField::Name => "name",
            MatchField::Address => "address",
            MatchField::City => "city",
            MatchField::PostalCode => "postal_code",
            MatchField::Country => "country",
            MatchField::BirthDate => "birth_date",
            MatchField::Username => "username",
            MatchField::CustomerId => "customer_id",
            MatchField::OrderId => "order_id",
            MatchField::NameNative => "name_native",
            MatchField::NationalId => "national_id",
        }
    }
}

impl fmt::Display for MatchField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in FieldRole::ALL {
            assert_eq!(r.as_str().parse::<FieldRole>().ok(), Some(r));
        }
        assert!("nonsense".parse::<FieldRole>().is_err());
    }

    #[test]
    fn match_field_bits_are_distinct() {
        let mut mask = 0u16;
        for f in MatchField::ALL {
            assert_eq!(mask & f.bit(), 0);
            mask |= f.bit();
            assert_eq!(MatchField::ALL[f.index()], f);
        }
    }
}
