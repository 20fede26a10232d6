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

/// The sample lines a verify run decided as the company's (a genuine evidence class or a
/// joined row: the lines the verdict and the transparency log count as matched), as a
/// bit set over line numbers. It is a [`MatchSink`], so a [`crate::Verifier`] run fills it.
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
        self.set(line, m.evidence.is_genuine() || m.joined);
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

/// The disclosure field kind of a canonicalized field.
fn match_field_kind(f: MatchField) -> Option<&'static str> {
    Some(match f {
        MatchField::Email => "email",
        MatchField::Phone => "phone",
        MatchField::Name => "name",
        MatchField::Address => "address",
        MatchField::City => "city",
        MatchField::PostalCode => "postal_code",
        MatchField::Country => "country",
        MatchField::BirthDate => "date_of_birth",
        MatchField::Username => "username",
        MatchField::CustomerId => "customer_id",
        MatchField::OrderId => "order_id",
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// The disclosure field kind of a column the normalizer does not match on (it still tells
/// a person what circulates about them).
fn unmatched_role_kind(r: FieldRole) -> Option<&'static str> {
    match r {
        FieldRole::Region => Some("region"),
        FieldRole::NationalId => Some("national_id"),
        FieldRole::PasswordHash => Some("password_hash"),
        _ => None,
    }
}

/// One line's canonical e-mails and phones and the field kinds it carries.
fn line_values(normalizer: &Normalizer, parts: &[PartContext], r: &RawRecord) -> LineValues {
    let mut out = LineValues {
        line: r.line,
        fields: 0,
        values: Vec::new(),
    };
    let Some(p) = parts.get(r.part as usize) else {
        return out;
    };
    let mut observe = |f: MatchField, v: &str| {
        if v.is_empty() {
            return;
        }
        if let Some(k) = match_field_kind(f) {
            out.fields |= kind_bit(k);
        }
        match f {
            MatchField::Email => out.values.push((Kind::Email, v.to_owned())),
            MatchField::Phone => out.values.push((Kind::Phone, v.to_owned())),
            _ => {}
        }
    };
    normalizer.observe_record(&p.roles, &r.cells, &p.hints, &mut observe);
    for (role, cell) in p.roles.iter().zip(&r.cells) {
        if let Some(k) = unmatched_role_kind(*role) {
            if !cell.trim().is_empty() {
                out.fields |= kind_bit(k);
            }
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
            let lines: Vec<LineValues> = batch
                .par_iter()
                .map(|r| line_values(&normalizer, parts, r))
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
