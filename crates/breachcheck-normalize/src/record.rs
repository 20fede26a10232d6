//! One record's cells → keyed tags. This is the only place where canonical plaintext
//! exists, and it never leaves: the returned [`TaggedRecord`] holds tags only.

use crate::{address, country, date, email, name, phone};
use breachcheck_core::{BlockKind, FieldRole, MatchField, Tag, TagDomain, Tagger};
use rlibphonenumber::Region;

/// Tags of one field of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldTags {
    /// Tag of the canonical value.
    pub canonical: Tag,
    /// Tag of the raw representation (trimmed cell text, parts joined); `Tag(0)` unless
    /// `quirky`, as only quirky raw forms are compared.
    pub raw: Tag,
    /// Whether the raw representation differs from the canonical one in a way that is a
    /// system's habit (see [`MatchField::carries_quirks`]); only then does reproducing the
    /// raw form count as evidence of copying.
    pub quirky: bool,
    /// Keyed fuzzy encoding of the canonical value ([`breachcheck_core::fuzzy`]); 0 for
    /// fields compared exactly only.
    pub fuzzy: u64,
}

/// Data-quality signals of one record, counted per sample to recognise generated data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// A phone cell was present but is not a valid number for its region.
    pub phone_invalid: bool,
    /// An e-mail cell was present but is not an address with a registrable domain.
    pub email_invalid: bool,
    /// A date-of-birth cell was present but is not a calendar date.
    pub birth_date_invalid: bool,
    /// The e-mail's domain is reserved for documentation or tests (example.com, *.test).
    pub email_reserved: bool,
    /// The e-mail's domain is a disposable-mail provider.
    pub email_disposable: bool,
    /// A postal code was present but does not fit its country's format.
    pub postal_code_invalid: bool,
}

/// A record reduced to keyed tags: per-field tags for comparison, and the blocking tags
/// that find candidate records. Holds no plaintext.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaggedRecord {
    fields: [Option<FieldTags>; MatchField::COUNT],
    /// Candidate-generating tags.
    pub blocks: Vec<(BlockKind, Tag)>,
    /// Data-quality signals.
    pub signals: Signals,
}

impl TaggedRecord {
    /// Tags of `field`, if the record has it.
    pub fn field(&self, field: MatchField) -> Option<FieldTags> {
        self.fields[field.index()]
    }

    /// All present fields.
    pub fn fields(&self) -> impl Iterator<Item = (MatchField, FieldTags)> + '_ {
        MatchField::ALL
            .into_iter()
            .filter_map(|f| self.fields[f.index()].map(|t| (f, t)))
    }

    /// Bit mask of present fields.
    pub fn present_mask(&self) -> u16 {
        self.fields().fold(0, |m, (f, _)| m | f.bit())
    }

    /// Whether the record has no field at all (nothing to index or look up).
    pub fn is_empty(&self) -> bool {
        self.fields.iter().all(Option::is_none)
    }
}

/// What is known about a whole sample part that single records do not say: the region of
/// its national-format phone numbers, and whether its slashed dates put the month first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartHints {
    /// Dominant phone region of the part.
    pub region: Option<Region>,
    /// `Some(true)` when the part's dates are month-first (some day above 12 in second
    /// place), `Some(false)` when day-first; `None` when its dates do not say.
    pub month_first: Option<bool>,
}

/// Normalizes records under one key and one default region.
#[derive(Clone, Debug)]
pub struct Normalizer {
    tagger: Tagger,
    default_region: Option<Region>,
}

/// Cells of one record gathered by role (first non-empty cell of each role wins).
#[derive(Default)]
struct Cells<'a> {
    by_role: [Option<&'a str>; FieldRole::ALL.len()],
}

impl<'a> Cells<'a> {
    fn get(&self, r: FieldRole) -> Option<&'a str> {
        self.by_role[r as usize]
    }
}

impl Normalizer {
    /// A normalizer tagging with `tagger`; `default_region` (ISO alpha-2 via
    /// [`country::region`]) is used for phone numbers of records without a country.
    pub fn new(tagger: Tagger, default_region: Option<Region>) -> Self {
        Normalizer {
            tagger,
            default_region,
        }
    }

    /// Normalizes and tags one record. `roles[i]` is the role of `cells[i]`; extra cells
    /// without a role are ignored.
    pub fn tag_record<S: AsRef<str>>(&self, roles: &[FieldRole], cells: &[S]) -> TaggedRecord {
        self.tag_record_in(roles, cells, &PartHints::default())
    }

    /// [`Normalizer::tag_record`] for a record of a sample part whose dominant phone region
    /// is `part_region`. A national-format phone number takes its region from, in order: the
    /// record's country, the script of its name (Cyrillic → RU, Hangul → KR, kana → JP, …),
    /// the part's dominant region, the normalizer's default.
    pub fn tag_record_in<S: AsRef<str>>(
        &self,
        roles: &[FieldRole],
        cells: &[S],
        hints: &PartHints,
    ) -> TaggedRecord {
        self.tag_record_observed(roles, cells, hints, &mut |_, _| {})
    }

    /// [`Normalizer::tag_record_in`] that also hands each field's canonical value to
    /// `observe`. Only the audit uses this (its OPRF is evaluated on canonical values, and
    /// must see exactly what verify tags); the values go nowhere else.
    pub fn tag_record_observed<S: AsRef<str>>(
        &self,
        roles: &[FieldRole],
        cells: &[S],
        hints: &PartHints,
        observe: &mut dyn FnMut(MatchField, &str),
    ) -> TaggedRecord {
        self.normalize(roles, cells, hints, observe, true)
    }

    /// Canonicalizes one record exactly as [`Normalizer::tag_record_in`] does and hands
    /// each field's canonical value to `observe`, without making any tag: the auditor's
    /// side of an audit, which has no company key.
    pub fn observe_record<S: AsRef<str>>(
        &self,
        roles: &[FieldRole],
        cells: &[S],
        hints: &PartHints,
        observe: &mut dyn FnMut(MatchField, &str),
    ) {
        self.normalize(roles, cells, hints, observe, false);
    }

    /// The input roles that canonicalizing `field` reads in [`Normalizer::observe_record`]
    /// (and every other path through the one canonicalization): a caller that needs some
    /// fields only — an auditor asking for e-mails alone — can set the other columns aside
    /// ([`FieldRole::Ignore`]) and gets the same canonical values without the work of the
    /// rest. Kept next to the code whose reads it lists; a test holds the two together.
    pub fn roles_read(field: MatchField) -> &'static [FieldRole] {
        use FieldRole as R;
        const NAMES: &[FieldRole] = &[R::FirstName, R::LastName, R::FullName];
        match field {
            MatchField::Email => &[R::Email],
            // The region of a national number: the country, else the name's script.
            MatchField::Phone => &[R::Phone, R::Country, R::FirstName, R::LastName, R::FullName],
            MatchField::Name | MatchField::NameNative => NAMES,
            MatchField::Address => &[R::Street, R::HouseNumber, R::Address],
            MatchField::City => &[R::City],
            MatchField::PostalCode => &[R::PostalCode, R::Country],
            MatchField::Country => &[R::Country],
            MatchField::BirthDate => &[R::BirthDate, R::Country],
            MatchField::Username => &[R::Username],
            MatchField::CustomerId => &[R::CustomerId],
            MatchField::OrderId => &[R::OrderId],
            MatchField::NationalId => &[R::NationalId],
        }
    }

    /// The one canonicalization path; `tag` says whether tags are made too.
    fn normalize<S: AsRef<str>>(
        &self,
        roles: &[FieldRole],
        cells: &[S],
        hints: &PartHints,
        observe: &mut dyn FnMut(MatchField, &str),
        tag: bool,
    ) -> TaggedRecord {
        let mut c = Cells::default();
        for (role, cell) in roles.iter().zip(cells) {
            let v = cell.as_ref().trim();
            if !v.is_empty() && !is_null_placeholder(v) && c.by_role[*role as usize].is_none() {
                c.by_role[*role as usize] = Some(v);
            }
        }
        let mut out = TaggedRecord::default();
        let country = c.get(FieldRole::Country).and_then(country::iso2);
        let set = |out: &mut TaggedRecord,
                   observe: &mut dyn FnMut(MatchField, &str),
                   f: MatchField,
                   canonical: &str,
                   raw: &str,
                   quirky: bool| {
            observe(f, canonical);
            if !tag {
                return;
            }
            let quirky = quirky && f.carries_quirks();
            out.fields[f.index()] = Some(FieldTags {
                canonical: self.tagger.field(f, canonical),
                // Only a quirky raw form is ever compared (and stored): skip the hash
                // otherwise.
                raw: if quirky {
                    self.tagger.tag(TagDomain::Raw(f), raw)
                } else {
                    Tag(0)
                },
                quirky,
                fuzzy: self.tagger.fuzzy(f, canonical),
            });
        };

        if let Some(raw) = c.get(FieldRole::Email) {
            match email::canonical(raw) {
                Some(e) => set(
                    &mut out,
                    observe,
                    MatchField::Email,
                    &e,
                    raw,
                    raw.chars().any(char::is_uppercase),
                ),
                None => out.signals.email_invalid = true,
            }
        }
        if let Some(raw) = c.get(FieldRole::Phone) {
            let region = country
                .and_then(country::region)
                .or_else(|| {
                    [
                        FieldRole::FullName,
                        FieldRole::LastName,
                        FieldRole::FirstName,
                    ]
                    .iter()
                    .find_map(|r| c.get(*r).and_then(name::script_region))
                    .and_then(country::region)
                })
                .or(hints.region)
                .or(self.default_region);
            match phone::canonical(raw, region) {
                Some(p) => {
                    out.signals.phone_invalid = !p.valid;
                    set(
                        &mut out,
                        observe,
                        MatchField::Phone,
                        &p.e164,
                        raw,
                        raw != p.e164,
                    );
                }
                None => out.signals.phone_invalid = true,
            }
        }
        let (first, last, full) = (
            c.get(FieldRole::FirstName),
            c.get(FieldRole::LastName),
            c.get(FieldRole::FullName),
        );
        let mut phonetic = None;
        if let Some(n) = name::canonical(first, last, full) {
            let raw = join_raw(&[full, first, last]);
            set(&mut out, observe, MatchField::Name, &n, &raw, false);
            phonetic = tag.then(|| name::phonetic_key(&n));
            if let Some(native) = name::native_key(first, last, full) {
                set(
                    &mut out,
                    observe,
                    MatchField::NameNative,
                    &native,
                    &raw,
                    false,
                );
            }
        }
        let (street, number, line) = (
            c.get(FieldRole::Street),
            c.get(FieldRole::HouseNumber),
            c.get(FieldRole::Address),
        );
        let addr = match line {
            // A house number kept in its own column belongs to a line that has none.
            Some(l) if number.is_some() && !l.bytes().any(|b| b.is_ascii_digit()) => {
                address::canonical(Some(l), number).map(|a| (a, join_raw(&[Some(l), number])))
            }
            Some(l) => address::canonical(Some(l), None).map(|a| (a, l.to_owned())),
            None => address::canonical(street, number).map(|a| (a, join_raw(&[street, number]))),
        };
        if let Some((a, raw)) = addr {
            set(&mut out, observe, MatchField::Address, &a, &raw, raw != a);
        }
        if let Some(raw) = c.get(FieldRole::City) {
            if let Some(v) = address::city(raw) {
                set(&mut out, observe, MatchField::City, &v, raw, false);
            }
        }
        if let Some(raw) = c.get(FieldRole::PostalCode) {
            if let Some(v) = address::postal_code(raw, country) {
                out.signals.postal_code_invalid =
                    country.is_some_and(|c| !address::postal_code_valid(&v, c));
                set(&mut out, observe, MatchField::PostalCode, &v, raw, raw != v);
            }
        }
        if let (Some(raw), Some(iso)) = (c.get(FieldRole::Country), country) {
            set(&mut out, observe, MatchField::Country, iso, raw, false);
        }
        if let Some(raw) = c.get(FieldRole::BirthDate) {
            match date::canonical(raw, hints.month_first.unwrap_or(country == Some("US"))) {
                Some(d) => set(&mut out, observe, MatchField::BirthDate, &d, raw, raw != d),
                None => out.signals.birth_date_invalid = true,
            }
        }
        for (role, field) in [
            (FieldRole::Username, MatchField::Username),
            (FieldRole::CustomerId, MatchField::CustomerId),
            (FieldRole::OrderId, MatchField::OrderId),
        ] {
            if let Some(raw) = c.get(role) {
                let v = identifier(raw);
                if !v.is_empty() {
                    set(&mut out, observe, field, &v, raw, false);
                }
            }
        }
        if let Some(raw) = c.get(FieldRole::NationalId) {
            let v = national_id(raw);
            if !v.is_empty() {
                set(&mut out, observe, MatchField::NationalId, &v, raw, false);
            }
        }
        if tag {
            self.add_blocks(&mut out, phonetic);
        }
        out
    }

    /// Blocking tags: selective fields alone, and pairs of fields (see [`BlockKind`]) so
    /// that a copy with a typo in any one field still shares a key with its record.
    /// Combination tags are derived from the fields' tags and phonetic keys, so no
    /// canonical string is needed again.
    fn add_blocks(&self, out: &mut TaggedRecord, phonetic: Option<String>) {
        for f in [
            MatchField::Email,
            MatchField::Phone,
            MatchField::Username,
            MatchField::CustomerId,
            MatchField::OrderId,
            MatchField::NationalId,
        ] {
            if let Some(t) = out.field(f) {
                out.blocks.push((BlockKind::Field(f), t.canonical));
            }
        }
        let dob = out.field(MatchField::BirthDate).map(|t| t.canonical);
        let postal = out.field(MatchField::PostalCode).map(|t| t.canonical);
        let address = out.field(MatchField::Address).map(|t| t.canonical);
        let combo = |kind: BlockKind, pair: (MatchField, MatchField), left: &[u8], right: Tag| {
            (kind, self.tagger.combo(pair, kind.code(), left, right))
        };
        if let Some(phonetic) = &phonetic {
            // Each distinct token key once (keys come sorted); initials are too common.
            let mut tokens: Vec<&str> = phonetic.split(' ').filter(|t| t.len() >= 2).collect();
            tokens.dedup();
            for token in tokens.into_iter().take(MAX_NAME_TOKENS) {
                for (kind, other, tag) in [
                    (BlockKind::NameTokenBirthDate, MatchField::BirthDate, dob),
                    (
                        BlockKind::NameTokenPostalCode,
                        MatchField::PostalCode,
                        postal,
                    ),
                    (BlockKind::NameTokenAddress, MatchField::Address, address),
                ] {
                    if let Some(t) = tag {
                        let pair = (MatchField::Name, other);
                        out.blocks.push(combo(kind, pair, token.as_bytes(), t));
                    }
                }
            }
        }
        if let (Some(d), Some(p)) = (dob, postal) {
            let pair = (MatchField::BirthDate, MatchField::PostalCode);
            out.blocks.push(combo(
                BlockKind::BirthDatePostalCode,
                pair,
                &d.0.to_le_bytes(),
                p,
            ));
        }
    }
}

/// At most this many name tokens make blocking keys (long names with many particles
/// would otherwise add postings without finding more records).
const MAX_NAME_TOKENS: usize = 4;

/// Identifiers compare case-insensitively without surrounding space or leading zeros
/// (spreadsheets drop them, systems pad them).
pub(crate) fn identifier(raw: &str) -> String {
    let t = raw.trim().to_lowercase();
    let stripped = t.trim_start_matches('0');
    if stripped.is_empty() && !t.is_empty() {
        "0".to_owned()
    } else {
        stripped.to_owned()
    }
}

/// National identifiers compare on their letters and digits only, upper-cased: an SSN is
/// written `123-45-6789`, `123 45 6789` or `123456789` by different systems. Leading zeros
/// are kept (they are part of the number, unlike a padded internal id).
pub(crate) fn national_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Cells that stand for "no value" in exports and dumps: `NULL`, `\N`, `N/A`, `None`, `-`…
/// They are empty, not invalid values (which would count as signs of fabrication).
pub fn is_null_placeholder(v: &str) -> bool {
    v.len() <= 9
        && [
            "null",
            "\\n",
            "n/a",
            "none",
            "nil",
            "-",
            "--",
            "---",
            "?",
            "undefined",
            "(null)",
            "#n/a",
            "nan",
        ]
        .iter()
        .any(|p| v.eq_ignore_ascii_case(p))
}

fn join_raw(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::SecretKey;

    fn n() -> Normalizer {
        Normalizer::new(
            Tagger::new(&SecretKey::from_bytes([3; 32])),
            country::region("DE"),
        )
    }

    #[test]
    fn roles_read_is_all_a_field_needs() {
        // Records whose fields lean on other columns: a national phone number whose region
        // comes from the country or the name's script, a month-first date from a US
        // country, a postal code checked against its country.
        let roles = [
            FieldRole::FullName,
            FieldRole::Email,
            FieldRole::Phone,
            FieldRole::Address,
            FieldRole::City,
            FieldRole::PostalCode,
            FieldRole::Country,
            FieldRole::BirthDate,
            FieldRole::Username,
            FieldRole::CustomerId,
            FieldRole::OrderId,
        ];
        let records = [
            [
                "Γιώργος Παπαδόπουλος",
                "G.Pap@Mail.gr",
                "210 123 4567",
                "Οδός Αθηνάς 12",
                "Αθήνα",
                "105 51",
                "",
                "03/04/1980",
                "gpap",
                "C-1",
                "O-9",
            ],
            [
                "John Smith",
                "john@example.org",
                "(415) 555-0100",
                "12 Main St",
                "San Francisco",
                "94105",
                "USA",
                "03/04/1980",
                "js",
                "C-2",
                "O-8",
            ],
            [
                "Иван Петров",
                "ivan@mail.ru",
                "8 (912) 345-67-89",
                "ул. Ленина, 5",
                "Москва",
                "101000",
                "",
                "1980-04-03",
                "ip",
                "C-3",
                "O-7",
            ],
        ];
        let n = n();
        for cells in records {
            let mut all: Vec<(MatchField, String)> = Vec::new();
            n.observe_record(&roles, &cells, &PartHints::default(), &mut |f, v| {
                all.push((f, v.to_owned()))
            });
            for f in MatchField::ALL {
                let keep = Normalizer::roles_read(f);
                let masked: Vec<FieldRole> = roles
                    .iter()
                    .map(|r| {
                        if keep.contains(r) {
                            *r
                        } else {
                            FieldRole::Ignore
                        }
                    })
                    .collect();
                let mut got = Vec::new();
                n.observe_record(&masked, &cells, &PartHints::default(), &mut |g, v| {
                    if g == f {
                        got.push(v.to_owned());
                    }
                });
                let want: Vec<String> = all
                    .iter()
                    .filter(|(g, _)| *g == f)
                    .map(|(_, v)| v.clone())
                    .collect();
                assert_eq!(got, want, "{f}");
            }
        }
    }

    #[test]
    fn split_and_joined_columns_agree() {
        let a = n().tag_record(
            &[
                FieldRole::FirstName,
                FieldRole::LastName,
                FieldRole::Street,
                FieldRole::HouseNumber,
            ],
            &["Jürgen", "Müller", "Hauptstraße", "5"],
        );
        let b = n().tag_record(
            &[FieldRole::FullName, FieldRole::Address],
            &["MÜLLER Jürgen", "Hauptstr. 5"],
        );
        for f in [MatchField::Name, MatchField::Address] {
            assert_eq!(
                a.field(f).map(|t| t.canonical),
                b.field(f).map(|t| t.canonical),
                "{f}"
            );
            // A quirky raw form is hashed, and differs between the two spellings; a name
            // carries no quirks, so its raw form is never hashed.
            let (ta, tb) = (a.field(f).expect("a"), b.field(f).expect("b"));
            if f.carries_quirks() {
                assert!(tb.quirky && ta.raw != tb.raw, "{f}");
            } else {
                assert_eq!((ta.raw, tb.raw), (Tag(0), Tag(0)), "{f}");
            }
        }
        assert!(a
            .blocks
            .iter()
            .any(|(k, _)| *k == BlockKind::NameTokenAddress));
        assert_eq!(a.blocks, b.blocks);
    }

    #[test]
    fn a_typo_in_any_one_field_leaves_a_shared_block() {
        let roles = [
            FieldRole::FirstName,
            FieldRole::LastName,
            FieldRole::Address,
            FieldRole::PostalCode,
            FieldRole::BirthDate,
            FieldRole::Country,
        ];
        let base = [
            "Isabella",
            "Everett",
            "25 Pike Place",
            "2152",
            "1911-08-16",
            "AU",
        ];
        let original = n().tag_record(&roles, &base);
        for (i, typo) in ["Isabelal", "Everwtt", "25 Pike Mlace", "2512", "1911-08-19"]
            .into_iter()
            .enumerate()
        {
            let mut cells = base;
            cells[i] = typo;
            let copy = n().tag_record(&roles, &cells);
            assert!(
                copy.blocks.iter().any(|b| original.blocks.contains(b)),
                "typo in column {i}"
            );
            let f = [
                MatchField::Name,
                MatchField::Name,
                MatchField::Address,
                MatchField::PostalCode,
                MatchField::BirthDate,
            ][i];
            let (x, y) = (original.field(f), copy.field(f));
            let (x, y) = (x.expect("original"), y.expect("copy"));
            assert_ne!(x.canonical, y.canonical);
            let sim =
                breachcheck_core::similarity(breachcheck_core::FuzzyKind::of(f), x.fuzzy, y.fuzzy);
            assert!(sim >= 0.6, "{f}: {sim}");
        }
    }

    #[test]
    fn quirks_and_signals() {
        let r = n().tag_record(
            &[FieldRole::Email, FieldRole::Phone, FieldRole::BirthDate],
            &["Ana@Example.com", "0151 23456789", "02.03.1985"],
        );
        assert!(r.field(MatchField::Email).is_some_and(|t| t.quirky));
        assert!(r.field(MatchField::Phone).is_some_and(|t| t.quirky));
        assert!(r.field(MatchField::BirthDate).is_some_and(|t| t.quirky));
        let r = n().tag_record(
            &[FieldRole::Phone, FieldRole::Email],
            &["+4915123456789", "nope"],
        );
        assert!(r.field(MatchField::Phone).is_some_and(|t| !t.quirky));
        assert!(r.signals.email_invalid && !r.signals.phone_invalid);
    }

    #[test]
    fn ids_ignore_case_and_padding() {
        let a = n().tag_record(&[FieldRole::CustomerId], &["000123AB"]);
        let b = n().tag_record(&[FieldRole::CustomerId], &["123ab"]);
        assert_eq!(
            a.field(MatchField::CustomerId).map(|t| t.canonical),
            b.field(MatchField::CustomerId).map(|t| t.canonical)
        );
    }

    #[test]
    fn null_placeholders_are_empty() {
        let r = n().tag_record(
            &[FieldRole::Email, FieldRole::Phone, FieldRole::BirthDate],
            &["NULL", "\\N", "N/A"],
        );
        assert!(r.is_empty());
        assert_eq!(r.signals, Signals::default());
    }

    #[test]
    fn empty_cells_make_an_empty_record() {
        let r = n().tag_record(&[FieldRole::Email, FieldRole::Ignore], &["  ", "x"]);
        assert!(r.is_empty() && r.blocks.is_empty());
    }
}
