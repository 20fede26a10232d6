//! What a customer's self-check publishes about a sample: every distinct canonical e-mail
//! address and phone number of its lines, canonicalized exactly as `verify` does, each with
//! what a person who knows that value may learn — how many lines carry it, which kinds of
//! data those lines hold, and whether they matched the company's records (from a verify
//! run of the same sample and index, when there is one).
use crate::progress::Progress;
use crate::stream::{begin, stream, PartContext};
use crate::verify::MatchSink;
use crate::{Error, Result};
use breachcheck_core::{FieldRole, MatchField, SecretKey, Tagger};
use breachcheck_index::Manifest;
use breachcheck_ingest::{IngestOptions, RawRecord, Sample};
use breachcheck_link::LineMatch;
use breachcheck_normalize::country::Region;
use breachcheck_normalize::Normalizer;
use breachcheck_selfcheck::{Disclosure, Kind, Value, FIELD_KINDS};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// The sample lines a verify run matched to one of the company's records whole (a genuine
/// evidence class: fuzzy record or stronger; a row joined from several records is not one
/// record), as a bit set over line numbers. It is a [`MatchSink`], so a
/// [`crate::Verifier`] run fills it; a server reads it back from a matches file.
#[derive(Clone, Debug, Default)]
pub struct MatchedLines {
    bits: Vec<u64>,
    decided: u64,
}

impl MatchedLines {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks line `line` (1-based) as matched or not.
    pub fn set(&mut self, line: u64, matched: bool) {
        self.decided += 1;
        if !matched {
            return;
        }
        let (word, bit) = ((line / 64) as usize, line % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << bit;
    }

    /// Whether line `line` matched.
    pub fn contains(&self, line: u64) -> bool {
        self.bits
            .get((line / 64) as usize)
            .is_some_and(|w| w & (1 << (line % 64)) != 0)
    }

    /// Lines decided (matched or not).
    pub fn decided(&self) -> u64 {
        self.decided
    }

    /// Lines matched.
    pub fn matched(&self) -> u64 {
        self.bits.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

impl MatchSink for MatchedLines {
    fn line(&mut self, line: u64, m: &LineMatch, _: &Manifest) -> Result<()> {
        self.set(line, m.evidence.is_genuine());
        Ok(())
    }
}

/// The self-check values of a sample and how many records were read.
#[derive(Debug)]
pub struct SelfcheckValues {
    /// One value per distinct canonical e-mail and phone number, in first-seen order.
    pub values: Vec<Value>,
    /// Records (lines) read.
    pub records: u64,
}

/// What is known about one canonical value while the sample is read.
#[derive(Default)]
struct Seen {
    lines: u64,
    fields: u32,
    matched: bool,
}

/// The bit of a field kind in a disclosure ([`FIELD_KINDS`] order).
fn kind_bit(name: &str) -> u32 {
    FIELD_KINDS
        .iter()
        .position(|k| *k == name)
        .map_or(0, |i| 1 << i)
}

/// The disclosure field kind of a column's role.
fn role_kind(r: FieldRole) -> Option<&'static str> {
    use FieldRole as R;
    Some(match r {
        R::Email => "email",
        R::Phone => "phone",
        R::FirstName | R::LastName | R::FullName => "name",
        R::Street | R::HouseNumber | R::Address => "address",
        R::City => "city",
        R::PostalCode => "postal_code",
        R::Region => "region",
        R::Country => "country",
        R::BirthDate => "date_of_birth",
        R::CustomerId => "customer_id",
        R::OrderId => "order_id",
        R::Username => "username",
        R::NationalId => "national_id",
        R::PasswordHash => "password_hash",
        R::Ignore => return None,
    })
}

/// A part's roles with every column that canonicalizing e-mails and phones does not read
/// set aside: the values come out as `verify` makes them, and names, addresses and dates
/// are not canonicalized at all (they only need to be present to be named).
fn value_roles(roles: &[FieldRole]) -> Vec<FieldRole> {
    let read: Vec<FieldRole> = [MatchField::Email, MatchField::Phone]
        .iter()
        .flat_map(|m| Normalizer::roles_read(*m))
        .copied()
        .collect();
    roles
        .iter()
        .map(|r| {
            if read.contains(r) {
                *r
            } else {
                FieldRole::Ignore
            }
        })
        .collect()
}

/// One line's canonical e-mails and phones and the field kinds it carries: e-mail and
/// phone when a canonical one came out, any other kind when its cell holds something
/// (not empty, not a `NULL`-like placeholder).
fn line_values(
    normalizer: &Normalizer,
    parts: &[PartContext],
    read: &[Vec<FieldRole>],
    r: &RawRecord,
) -> LineValues {
    let mut out = LineValues {
        line: r.line,
        fields: 0,
        values: Vec::new(),
    };
    let (Some(p), Some(read)) = (parts.get(r.part as usize), read.get(r.part as usize)) else {
        return out;
    };
    let mut observe = |f: MatchField, v: &str| {
        let kind = match f {
            MatchField::Email => Kind::Email,
            MatchField::Phone => Kind::Phone,
            _ => return,
        };
        if !v.is_empty() {
            out.fields |= kind_bit(kind.as_str());
            out.values.push((kind, v.to_owned()));
        }
    };
    normalizer.observe_record(read, &r.cells, &p.hints, &mut observe);
    for (role, cell) in p.roles.iter().zip(&r.cells) {
        if matches!(role, FieldRole::Email | FieldRole::Phone) {
            continue;
        }
        let v = cell.trim();
        if v.is_empty() || breachcheck_normalize::is_null_placeholder(v) {
            continue;
        }
        if let Some(k) = role_kind(*role) {
            out.fields |= kind_bit(k);
        }
    }
    out
}

struct LineValues {
    line: u64,
    fields: u32,
    values: Vec<(Kind, String)>,
}

/// Reads `sample_path` as `verify` does (same ingest options, default region and the
/// company's phone regions) and gathers its self-check values. `matched`, the lines a
/// verify run of the same sample and index decided, sets each value's
/// `matched_company_records` (yes when any line carrying it matched); without it, unknown.
///
/// Values are canonicalized only, never tagged: the normalizer's key is a throwaway one.
/// Memory grows with the distinct values (about 100 bytes each).
pub fn selfcheck_values(
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    phone_regions: Vec<Region>,
    matched: Option<&MatchedLines>,
    progress: &dyn Progress,
) -> Result<SelfcheckValues> {
    let sample = Sample::open(sample_path, opts)?;
    let mut throwaway = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut throwaway[..])
        .map_err(|_| Error::Random)?;
    let normalizer = Normalizer::new(Tagger::new(&SecretKey::from_bytes(throwaway)), region)
        .with_phone_regions(phone_regions);
    let mut seen: HashMap<(Kind, String), Seen> = HashMap::new();
    let mut order: Vec<(Kind, String)> = Vec::new();
    let mut records = 0u64;
    begin(progress, "reading", sample_path, &sample);
    stream(
        &sample,
        progress,
        None,
        |batch, parts| {
            records += batch.len() as u64;
            let read: Vec<Vec<FieldRole>> = parts.iter().map(|p| value_roles(&p.roles)).collect();
            let lines: Vec<LineValues> = batch
                .par_iter()
                .map(|r| line_values(&normalizer, parts, &read, r))
                .collect();
            for l in lines {
                let line_matched = matched.is_some_and(|m| m.contains(l.line));
                let mut values = l.values;
                values.sort();
                values.dedup();
                for v in values {
                    let s = match seen.get_mut(&v) {
                        Some(s) => s,
                        None => {
                            order.push(v.clone());
                            seen.entry(v).or_default()
                        }
                    };
                    s.lines += 1;
                    s.fields |= l.fields;
                    s.matched |= line_matched;
                }
            }
            Ok(())
        },
        |_| {},
    )?;
    progress.end();
    let values = order
        .into_iter()
        .filter_map(|key| {
            let s = seen.remove(&key)?;
            let fields = FIELD_KINDS
                .iter()
                .enumerate()
                .filter(|(i, _)| s.fields & (1 << i) != 0)
                .map(|(_, k)| (*k).to_owned())
                .collect();
            let disclosure = Disclosure {
                lines: s.lines,
                fields,
                matched_company_records: matched.map(|_| s.matched),
            };
            Some(Value::new(key.0, key.1.into_bytes(), disclosure))
        })
        .collect();
    Ok(SelfcheckValues { values, records })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Silent;

    #[test]
    fn matched_lines_is_a_bit_set() {
        let mut m = MatchedLines::new();
        m.set(1, true);
        m.set(2, false);
        m.set(200, true);
        assert!(m.contains(1) && !m.contains(2) && m.contains(200) && !m.contains(199));
        assert_eq!((m.decided(), m.matched()), (3, 2));
    }

    #[test]
    fn values_carry_their_lines_fields_and_matches() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.csv");
        std::fs::write(
            &path,
            "email,phone,first_name,last_name,password_hash\n\
             Ana.Lopez@Example.ORG,+49 30 901820,Ana,Lopez,\n\
             ana.lopez@example.org,,Ana,Lopez,5f4dcc3b5aa765d61d8327deb882cf99\n\
             bo@example.net,+4930901821,,,\n",
        )
        .expect("write");
        let mut matched = MatchedLines::new();
        matched.set(2, true);
        matched.set(3, false);
        matched.set(4, false);
        let v = selfcheck_values(
            &path,
            &IngestOptions::default(),
            None,
            vec![],
            Some(&matched),
            &Silent,
        )
        .expect("values");
        assert_eq!(v.records, 3);
        let find = |k: Kind, c: &str| {
            v.values
                .iter()
                .find(|x| x.kind == k && x.canonical() == c.as_bytes())
                .map(|x| x.disclosure.clone())
        };
        let ana = find(Kind::Email, "ana.lopez@example.org").expect("ana");
        assert_eq!(ana.lines, 2);
        assert_eq!(ana.matched_company_records, Some(true));
        for f in ["email", "name", "phone", "password_hash"] {
            assert!(ana.fields.iter().any(|x| x == f), "{f} in {:?}", ana.fields);
        }
        let bo = find(Kind::Phone, "+4930901821").expect("bo's phone");
        assert_eq!((bo.lines, bo.matched_company_records), (1, Some(false)));
        assert!(!bo.fields.iter().any(|x| x == "name"));
        assert_eq!(v.values.len(), 4, "{:?}", v.values);
        let unknown = selfcheck_values(
            &path,
            &IngestOptions::default(),
            None,
            vec![],
            None,
            &Silent,
        )
        .expect("values");
        assert!(unknown
            .values
            .iter()
            .all(|x| x.disclosure.matched_company_records.is_none()));
    }
}
