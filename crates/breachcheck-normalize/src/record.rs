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
    /// How the raw form was written ([`crate::form::class`]); 0 unless `quirky`.
    pub form: u8,
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
    /// Other valid readings of a national-format phone number written without a country
    /// (canonical tags; `Tag(0)` marks an empty slot): a directory of many nationalities
    /// without a country column cannot say whose number "0612345678" is, so every region
    /// the record or the company makes plausible is tried and the comparison takes the
    /// reading a record agrees with.
    pub phone_alternates: [Tag; MAX_PHONE_ALTERNATES],
    /// Country calling code of the phone number (0 when there is none): counted per index
    /// segment, so a verify knows which regions the company's customers' numbers are from.
    pub phone_code: u16,
    /// Tags of a neighbour of the customer id, the order id and the phone number (the same
    /// value with its last character changed; `Tag(0)` when absent), in that order. Looked
    /// up, never compared: how often a neighbour of the sample's values exists in the index
    /// says how densely the company's values fill that space, i.e. how likely a made-up (or
    /// unrelated) value is to hit a real one.
    pub neighbours: [Tag; 3],
    /// Which cells of the record hold a value (bit i: cell i, for the first 64), whatever
    /// their role — a password hash or a column left alone too: rows merged from several
    /// sources show as column sets that are (almost) never filled together.
    pub filled: u64,
}

/// Most alternative readings kept for a phone number without a country.
pub const MAX_PHONE_ALTERNATES: usize = 3;

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
    /// Regions of the company's customers' numbers, most common first (see
    /// [`Normalizer::with_phone_regions`]).
    phone_regions: Vec<Region>,
    /// Whether what only [`Signals`] need is worked out: false for a company's records
    /// (see [`Normalizer::for_index`]), which then skip a phone number's type where the
    /// record's country says how to read the number (other signals cost little and are
    /// still set).
    signals: bool,
}

/// Most regions tried for a phone number without a country.
const MAX_PHONE_REGIONS: usize = 16;

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
            phone_regions: Vec::new(),
            signals: true,
        }
    }

    /// A normalizer for a company's records rather than a sample's lines: it leaves out
    /// what only a sample's data-quality [`Signals`] need, which describe a claimed leak,
    /// never the company's own data. Today that is a phone number's type (an impossible
    /// number) where the record's country says how to read the number: about a twelfth of
    /// a build's CPU. Tags, blocks and every other output are the same; `signals` is not
    /// to be read.
    pub fn for_index(mut self) -> Self {
        self.signals = false;
        self
    }

    /// Also tries `regions` (the regions the company's records use, most common first; at
    /// most sixteen are tried) for national-format phone numbers of records without a
    /// country: the sample's lines are compared with the company's records, so the
    /// company's own regions are where a national number most plausibly belongs.
    pub fn with_phone_regions(mut self, regions: Vec<Region>) -> Self {
        self.phone_regions = regions;
        self
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
        let mut filled = 0u64;
        for (i, (role, cell)) in roles.iter().zip(cells).enumerate() {
            let v = cell.as_ref().trim();
            if !v.is_empty() && !is_null_placeholder(v) {
                if i < 64 {
                    filled |= 1 << i;
                }
                if c.by_role[*role as usize].is_none() {
                    c.by_role[*role as usize] = Some(v);
                }
            }
        }
        let mut out = TaggedRecord {
            filled,
            ..TaggedRecord::default()
        };
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
                form: if quirky {
                    crate::form::class(f, raw)
                } else {
                    0
                },
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
            let script = || {
                [
                    FieldRole::FullName,
                    FieldRole::LastName,
                    FieldRole::FirstName,
                ]
                .iter()
                .find_map(|r| c.get(*r).and_then(name::script_region))
                .and_then(country::region)
            };
            // (E.164, country calling code, whether the numbering plan knows the number:
            // `None` where it was not looked up) of each reading, the canonical one first.
            let readings: Vec<(String, u16, Option<bool>)> = match country.and_then(country::region)
            {
                // The record says where the person lives: its region alone; a
                // company's record needs only the number's form.
                Some(r) if !self.signals => phone::e164(raw, Some(r))
                    .map(|(e, code)| (e, code, None))
                    .into_iter()
                    .collect(),
                Some(r) => phone::canonical(raw, Some(r))
                    .map(|p| (p.e164, p.country_code, Some(p.valid)))
                    .into_iter()
                    .collect(),
                None => self
                    .phone_readings(raw, script(), hints.region)
                    .into_iter()
                    .map(|p| (p.e164, p.country_code, Some(p.valid)))
                    .collect(),
            };
            let mut readings = readings.into_iter();
            match readings.next() {
                Some((e164, code, valid)) => {
                    out.signals.phone_invalid = valid == Some(false);
                    out.phone_code = code;
                    if let (true, Some(n)) = (tag, neighbour(&e164)) {
                        out.neighbours[2] = self.tagger.field(MatchField::Phone, &n);
                    }
                    set(
                        &mut out,
                        observe,
                        MatchField::Phone,
                        &e164,
                        raw,
                        raw != e164,
                    );
                    if tag {
                        for (slot, (alt, _, _)) in out.phone_alternates.iter_mut().zip(readings) {
                            *slot = self.tagger.field(MatchField::Phone, &alt);
                        }
                    }
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
            // A house number without a street is no address: "27" would be compared with
            // whole addresses and differ from every one.
            None if street.is_none() => None,
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
                    let slot = usize::from(field == MatchField::OrderId);
                    if let (true, Some(n)) = (tag, neighbour(&v)) {
                        out.neighbours[slot] = self.tagger.field(field, &n);
                    }
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

    /// Readings of a phone number of a record without a country: a number written with its
    /// country code has one; a national-format one is read in each plausible region — the
    /// name's script, the sample part's dominant region, the default, then the company's
    /// regions — and every *valid* reading is kept, the first as the canonical value (the
    /// first reading at all when none is valid, so a copy still reproduces an impossible
    /// number).
    fn phone_readings(
        &self,
        raw: &str,
        script: Option<Region>,
        hint: Option<Region>,
    ) -> Vec<phone::CanonicalPhone> {
        let mut regions: Vec<Region> = Vec::new();
        for r in [script, hint, self.default_region]
            .into_iter()
            .flatten()
            .chain(self.phone_regions.iter().copied())
        {
            if !regions.contains(&r) && regions.len() < MAX_PHONE_REGIONS {
                regions.push(r);
            }
        }
        let first = phone::canonical(raw, regions.first().copied());
        if first.as_ref().is_some_and(|p| p.international) {
            return first.into_iter().collect();
        }
        let mut valid: Vec<phone::CanonicalPhone> = Vec::new();
        for (i, r) in regions.iter().enumerate() {
            let reading = if i == 0 {
                first.clone()
            } else {
                phone::canonical(raw, Some(*r))
            };
            if let Some(p) = reading.filter(|p| p.valid) {
                if !valid.iter().any(|v| v.e164 == p.e164) {
                    valid.push(p);
                }
                if valid.len() > MAX_PHONE_ALTERNATES {
                    break;
                }
            }
        }
        // Digits that are an international number without its "+" ("48568746402"): a
        // reading of last resort, after every plausible region's national one.
        if valid.len() <= MAX_PHONE_ALTERNATES {
            if let Some(p) = phone::international_digits(raw).filter(|p| p.valid) {
                if !valid.iter().any(|v| v.e164 == p.e164) {
                    valid.push(p);
                }
            }
        }
        if valid.is_empty() {
            first.into_iter().collect()
        } else {
            valid
        }
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
        for alt in out.phone_alternates.into_iter().filter(|t| t.0 != 0) {
            out.blocks.push((BlockKind::Field(MatchField::Phone), alt));
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

/// The same identifier with its last letter or digit moved on by one ("c0012345" →
/// "c0012346", "ab12z" → "ab12a"): a plausible made-up id next to a real one. `None` for
/// an id without a letter or digit.
fn neighbour(id: &str) -> Option<String> {
    let (at, c) = id
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_alphanumeric())?;
    let next = match c {
        '9' => '0',
        'z' => 'a',
        c => char::from(c as u8 + 1),
    };
    let mut out = String::with_capacity(id.len());
    out.push_str(&id[..at]);
    out.push(next);
    out.push_str(&id[at + c.len_utf8()..]);
    Some(out)
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
    fn national_numbers_without_a_country_are_read_in_every_plausible_region() {
        let tagger = Tagger::new(&SecretKey::from_bytes([3; 32]));
        let regions: Vec<Region> = ["DE", "FR", "ES"]
            .iter()
            .filter_map(|r| country::region(r))
            .collect();
        let n = Normalizer::new(tagger.clone(), country::region("DE")).with_phone_regions(regions);
        // A French mobile number in national format, in a directory without a country.
        let r = n.tag_record(
            &[FieldRole::FullName, FieldRole::Phone],
            &["Dupont, Marie", "06 12 34 56 78"],
        );
        let french = tagger.field(MatchField::Phone, "+33612345678");
        let phone = r.field(MatchField::Phone).expect("phone");
        assert!(
            phone.canonical == french || r.phone_alternates.contains(&french),
            "the French reading is kept"
        );
        assert!(!r.signals.phone_invalid, "a valid reading exists");
        assert!(r
            .blocks
            .contains(&(BlockKind::Field(MatchField::Phone), french)));
        // A country column settles the region: no other reading.
        let r = n.tag_record(
            &[FieldRole::Phone, FieldRole::Country],
            &["06 12 34 56 78", "FR"],
        );
        assert_eq!(
            r.field(MatchField::Phone).map(|t| t.canonical),
            Some(french)
        );
        assert!(r.phone_alternates.iter().all(|t| t.0 == 0));
        assert_eq!(r.phone_code, 33);
    }

    /// A company's records are normalized without what only a sample's signals need (a
    /// phone number's type, where the record's country says how to read the number): every
    /// tag, block and reading is the same, and the impossible number goes unremarked.
    #[test]
    fn a_normalizer_for_the_index_tags_the_same_and_skips_the_phone_type() {
        let tagger = Tagger::new(&SecretKey::from_bytes([5; 32]));
        let regions: Vec<Region> = ["DE", "FR"]
            .iter()
            .filter_map(|r| country::region(r))
            .collect();
        let sample = Normalizer::new(tagger.clone(), country::region("DE"))
            .with_phone_regions(regions.clone());
        let index = Normalizer::new(tagger, country::region("DE"))
            .with_phone_regions(regions)
            .for_index();
        let roles = [FieldRole::FullName, FieldRole::Phone, FieldRole::Country];
        let rows = [
            ["Marie Dupont", "06 12 34 56 78", "FR"],
            ["Hans Müller", "+49 151 23456789", "DE"],
            ["John Roe", "(201) 555-0123", "US"],
            ["Jane Roe", "0049 151 23456789", ""],
            ["Anne Martin", "06 12 34 56 78", ""],
            ["Not A Number", "+49 10 12345678", "DE"],
            ["Not Either", "+49 10 12345678", ""],
            // E.164 stored without its "+": read internationally only if valid, in both.
            ["Jan Kowalski", "4915123456789", "DE"],
        ];
        for row in &rows {
            let a = sample.tag_record(&roles, row);
            let mut b = index.tag_record(&roles, row);
            b.signals.phone_invalid = a.signals.phone_invalid;
            assert_eq!(a, b, "{row:?}");
        }
        let impossible =
            |n: &Normalizer, row: &[&str; 3]| n.tag_record(&roles, row).signals.phone_invalid;
        assert!(impossible(&sample, &rows[5]));
        assert!(!impossible(&index, &rows[5]), "the type was not looked up");
        // Without a country, readings are chosen by validity: looked up for both.
        assert!(impossible(&sample, &rows[6]) && impossible(&index, &rows[6]));
    }

    #[test]
    fn international_digits_without_a_plus_are_read() {
        let tagger = Tagger::new(&SecretKey::from_bytes([3; 32]));
        let n = Normalizer::new(tagger.clone(), None);
        let r = n.tag_record(&[FieldRole::Phone], &["48568746402"]);
        assert_eq!(
            r.field(MatchField::Phone).map(|t| t.canonical),
            Some(tagger.field(MatchField::Phone, "+48568746402"))
        );
        assert!(!r.signals.phone_invalid);
        // A trunk 0 is a national number: not read as international.
        let r = n.tag_record(&[FieldRole::Phone], &["0151 23456789"]);
        assert_ne!(
            r.field(MatchField::Phone).map(|t| t.canonical),
            Some(tagger.field(MatchField::Phone, "+15123456789"))
        );
    }

    #[test]
    fn neighbours_change_the_last_character() {
        assert_eq!(neighbour("c0012345").as_deref(), Some("c0012346"));
        assert_eq!(neighbour("ab12z").as_deref(), Some("ab12a"));
        assert_eq!(neighbour("o-1239-").as_deref(), Some("o-1230-"));
        assert_eq!(neighbour("--"), None);
        let r = n().tag_record(&[FieldRole::CustomerId], &["C0012345"]);
        assert_ne!(r.neighbours[0], Tag(0));
        assert_ne!(
            Some(r.neighbours[0]),
            r.field(MatchField::CustomerId).map(|t| t.canonical)
        );
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
