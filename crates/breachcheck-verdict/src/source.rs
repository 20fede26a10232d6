//! The source model: where each line of a sample comes from, fitted to the whole sample.
//!
//! Every line is drawn from one of these sources:
//!
//! - **copy of company system s** (`G_s`): a record of s, copied, perhaps with a seller's
//!   noise. Its person is one s holds; each field it carries compares with that record at
//!   a level drawn from `m` (mostly exact; close or near for typos; rarely different, and
//!   almost never a column the record lacks); a value written in a non-canonical way is
//!   written as s wrote it with probability `r_copy`. Blocking or the comparison can miss
//!   the record: then the line looks unmatched, with the probability `miss` that `m`
//!   implies for the fields the line carries.
//! - **other real people** (`N`, another service's users, a directory, a list someone
//!   made up): with probability `overlap` the line's person is one of the company's
//!   customers — drawn from the customer base as a whole, so held by system s with s's
//!   share of the customers — and each field compares at a level drawn from `q` (another
//!   service's record of the same person: the same e-mail, an older address, its own ids);
//!   a non-canonical value is written as the company wrote it with probability `r_other`,
//!   which starts from how common that way of writing is among services; a company id
//!   agrees only by chance. Otherwise the line is unrelated to the company and matches a
//!   record only by coincidence (the chance of each agreement, from the linkage model's u,
//!   times the records held; ids from the id space's measured density).
//! - **a registered reference corpus** (`R_j`, a known earlier breach): its lines match j
//!   whole and compare with the company like `N`'s.
//!
//! The mixture weights, `m`, `q`, `overlap` and the raw-form rates are fitted by
//! expectation–maximisation over the sample's distinct line profiles (with weak priors that
//! keep a handful of lines from deciding a parameter; `overlap` has a Beta(1, 4) prior,
//! because no outside list is all the company's customers: a sample whose every line is a
//! customer is a copy). The genuine fraction is the total weight of the copy sources;
//! its interval is the profile-likelihood interval. The verdict tests nested fits of this
//! one model against each other (see `decide`): whether the copy sources are needed at all,
//! whether anything but them is, and whether the other people overlap the customers.
//!
//! What tells a copy from another service's record of the same customer: a copy holds the
//! system's own ids and is held whole by one system (its columns are the system's), its
//! people are that system's (a copy of the marketing list has only marketing's people,
//! another list has marketing's people in marketing's share), and nearly all of it
//! matches. Values that are simply the person's (a name, an e-mail) are shared by both,
//! and weigh for neither.

use crate::tally::Tally;
use breachcheck_core::MatchField;
use breachcheck_link::{FieldLevel, LineProfile, RawState, FIELD_LEVELS, RAW_FIELDS};
use serde::{Deserialize, Serialize};

/// One source of the mixture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// A copy of one of the company's systems.
    Copy {
        /// The system.
        system: String,
    },
    /// Real or made-up people from elsewhere.
    Other,
    /// A registered reference corpus (a known earlier breach).
    Reference {
        /// The corpus.
        corpus: String,
    },
}

/// A fitted source: its share of the sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceShare {
    /// The source.
    #[serde(flatten)]
    pub source: Source,
    /// Share of the sample's lines (mixture weight).
    pub share: f64,
    /// Expected lines from it.
    pub lines: f64,
}

/// The fitted source model, as the report shows it (every figure a reader needs to
/// recompute a line's posterior from its profile).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceFit {
    /// Sources with their shares, copies first.
    pub sources: Vec<SourceShare>,
    /// Share of the other people who are the company's customers.
    pub overlap: f64,
    /// Per field, the level distribution of a copy (`m`): exact, close, near, token,
    /// differ, line only, shared.
    pub copy_levels: Vec<FieldLevels>,
    /// Per field, the level distribution of another service's record of a customer (`q`).
    pub other_levels: Vec<FieldLevels>,
    /// Per quirk-bearing field the line and record both have: probability that a copy,
    /// and another source, writes the value as the company's record does.
    pub raw_forms: Vec<RawRates>,
    /// Probability that a copied line shows no record (blocking or comparison missed it),
    /// for the sample's most common set of fields.
    pub miss_rate: f64,
    /// Log-likelihood of the sample under the fit (natural log, with the overlap prior).
    pub log_likelihood: f64,
    /// EM iterations.
    pub iterations: u32,
}

/// Level distribution of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldLevels {
    /// The field.
    pub field: MatchField,
    /// Probabilities of exact, close, near, token, differ, line only, shared.
    pub levels: [f64; 7],
}

/// Raw-form agreement rates of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawRates {
    /// The field.
    pub field: MatchField,
    /// A copy writes it as the company's record.
    pub copy: f64,
    /// Another source does (prior: how common the sample's way of writing it is).
    pub other: f64,
    /// The prior of `other`: how common the sample's way of writing it is among services.
    pub common: f64,
}

/// A company system as the model sees it.
#[derive(Clone, Debug)]
pub(crate) struct CompanySystem {
    /// Prober's system number.
    pub number: u32,
    pub name: String,
    /// Share of the company's customers the system holds (records at its latest snapshot
    /// over the largest system's), at least [`MIN_SHARE`].
    pub share: f64,
    /// Fields most of its records carry (0: unknown, taken as every field).
    pub fields: u16,
    /// Its snapshot dates, oldest first (what a line's span positions name).
    pub snapshots: Vec<String>,
}

/// Most lines an unrelated person matches a customer on an e-mail, login or national id
/// by coincidence (see [`Inputs::from_tally`]).
const CHANCE_IDENTIFIER: f64 = 1e-3;

/// Smallest customer share a system is credited with: a system holding fewer than this
/// share of the customers would make every line of its people look like a copy of it.
const MIN_SHARE: f64 = 0.05;

/// The inputs of a fit, gathered from a tally.
#[derive(Clone, Debug)]
pub(crate) struct Inputs {
    pub profiles: Vec<(LineProfile, u64)>,
    pub company: Vec<CompanySystem>,
    /// (prober system number + 1, name) of each reference corpus.
    pub references: Vec<(u8, String)>,
    /// Chance that an unrelated record agrees on a field at a level (exact, close, near,
    /// token), per field.
    pub u: [[f64; FIELD_LEVELS]; MatchField::COUNT],
    /// Records in the company's systems.
    pub held: f64,
    /// Per [`RAW_FIELDS`] entry, how common the sample's way of writing the field is.
    pub common: [f64; 5],
    /// Id fields (customer and order id) whose column names none of the company's ids on
    /// the lines of its customers, with the customers' lines that carry it: taken out of the
    /// profiles (see [`renumbered_ids`]).
    pub renumbered: Vec<(MatchField, u64)>,
}

impl Inputs {
    pub(crate) fn from_tally(t: &Tally) -> Self {
        let largest = t
            .systems
            .iter()
            .filter(|s| s.kind == breachcheck_index::SegmentKind::System)
            .map(|s| s.live)
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let company = t
            .systems
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == breachcheck_index::SegmentKind::System)
            .map(|(i, s)| CompanySystem {
                number: i as u32,
                name: s.name.clone(),
                share: (s.live as f64 / largest).clamp(MIN_SHARE, 1.0),
                fields: s.fields,
                snapshots: t
                    .segments
                    .iter()
                    .filter(|g| g.is_system() && g.system == s.name)
                    .map(|g| g.snapshot.clone())
                    .collect(),
            })
            .collect();
        let references = t
            .systems
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == breachcheck_index::SegmentKind::Reference)
            .map(|(i, s)| ((i.min(254) + 1) as u8, s.name.clone()))
            .collect();
        let mut u = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
        for f in MatchField::ALL {
            let lu = &t.chance_u[f.index()];
            let i = f.index();
            u[i][FieldLevel::Exact.index()] = lu[breachcheck_link::Level::Exact.index()];
            u[i][FieldLevel::Close.index()] = lu[breachcheck_link::Level::Close.index()];
            u[i][FieldLevel::Near.index()] = lu[breachcheck_link::Level::Near.index()];
            u[i][FieldLevel::Token.index()] = lu[breachcheck_link::Level::Token.index()];
            u[i][FieldLevel::Differ.index()] = 1.0;
            u[i][FieldLevel::LineOnly.index()] = 1.0;
            // A value many customers share is one a stranger has as easily.
            u[i][FieldLevel::Shared.index()] = 1.0;
        }
        // An e-mail, a login or a national id is one person's: an unrelated person shares
        // one with a customer only when generated from a short list, which shows as the
        // sample's own lines repeating those values. Unless they do (a handful of random
        // pairs agreeing), coincidence on them is taken as at most 1 in 1,000 lines —
        // the sample's pairs cannot measure rarer, and the linkage's weight prior (2^-20)
        // would credit a company of 10^6 customers with one coincidence per line.
        let held = t.held_records.max(1.0);
        for f in [
            MatchField::Email,
            MatchField::Username,
            MatchField::NationalId,
        ] {
            let repeated = t
                .repetition
                .iter()
                .find(|r| r.field == f)
                .map_or(0.0, |r| r.sample_rate * r.sample_pairs as f64);
            if repeated < 5.0 {
                let e = &mut u[f.index()][FieldLevel::Exact.index()];
                *e = e.min(CHANCE_IDENTIFIER / held);
            }
        }
        let mut profiles: Vec<(LineProfile, u64)> =
            t.profiles.iter().map(|(p, n)| (*p, *n)).collect();
        for (p, _) in &mut profiles {
            if p.is_member() && !p.canary() && !recognisable(p) {
                p.members = 0;
                p.complete = 0;
            }
        }
        let renumbered = renumbered_ids(&profiles);
        if !renumbered.is_empty() {
            for (p, _) in &mut profiles {
                for (f, _) in &renumbered {
                    p.set_level(*f, FieldLevel::Absent);
                }
            }
        }
        profiles.sort_unstable();
        // Profiles that differed only in a column taken out are one profile now.
        profiles.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        Inputs {
            profiles,
            company,
            references,
            u,
            held: t.held_records.max(1.0),
            common: t.common_forms(),
            renumbered,
        }
    }
}

/// The line's span (first and last snapshot its best record was present in) as positions
/// among company system `j`'s snapshots. The span is the best record's system's: for a
/// copy of another system (whose people the best record's system holds too) it is taken
/// by date, as the snapshots of `j` within those dates; `None` when `j` has none there.
/// (Positions of two systems' snapshots only agree when they were taken on the same
/// dates: a copy of a one-snapshot system read a two-snapshot system's span as "copies
/// taken at different moments".) The flag says the span was taken by date: it bounds
/// when `j`'s records were present only roughly.
fn span_in(inputs: &Inputs, p: &LineProfile, j: usize) -> Option<((u8, u8), bool)> {
    if p.span.0 == 0xff {
        return None;
    }
    let to = &inputs.company[j];
    if u32::from(p.system) == to.number + 1 {
        return Some((p.span, false));
    }
    let from = inputs
        .company
        .iter()
        .find(|s| s.number + 1 == u32::from(p.system))?;
    let first = from.snapshots.get(usize::from(p.span.0))?;
    let last = from.snapshots.get(usize::from(p.span.1))?;
    let mut within = to
        .snapshots
        .iter()
        .enumerate()
        .filter(|(_, d)| first <= *d && *d <= last)
        .map(|(i, _)| i);
    let a = within.next()?;
    let b = within.next_back().unwrap_or(a);
    Some(((u8::try_from(a).ok()?, u8::try_from(b).ok()?), true))
}

/// Whether the line's levels are a pattern the model counts as recognising a person (see
/// [`miss`]): a same-person field (e-mail, phone, login, national id) exact, or two
/// identifying fields or ids exact, close or near (`miss` counts near as a miss, so this
/// keeps noisy copies' lines — FEBRL4's typos two edits deep — as the customers they are).
///
/// Why a line the linkage took for a customer (posterior ≥ 1/2) can still be none here:
/// the linkage weighs every field, and a name with a postal code and a country can pass
/// its bar where postal codes are coarse and names common. The source model's other
/// people are recognised only through the patterns `miss` walks, so that the customers it
/// cannot see are estimated from those it can; a customer recognised by any other pattern
/// made `miss` near 1, and every unmatched line of the sample was then as likely an
/// unseen customer as a stranger (held-out made-up people with a postal code column read
/// "95% are the company's customers as another source holds them", recycled). Such lines
/// are left to the unrelated people and to chance.
pub(crate) fn recognisable(p: &LineProfile) -> bool {
    let mut good = 0;
    for f in p.present() {
        let l = p.level(f);
        if SAME_PERSON.contains(&f) && l == FieldLevel::Exact {
            return true;
        }
        if (f.is_identifying() || f.is_internal_id())
            && matches!(l, FieldLevel::Exact | FieldLevel::Close | FieldLevel::Near)
        {
            good += 1;
        }
    }
    good >= 2
}

/// Fewest lines of the company's customers carrying an id column before the column is
/// judged as a whole ([`renumbered_ids`]).
const RENUMBERED_MIN_LINES: u64 = 20;

/// Id fields whose column is not the company's numbering at all, in a sample whose people
/// are (nearly) all the company's customers: at least [`RENUMBERED_MEMBERS`] of the lines
/// are customers, and of those that carry the id (at least [`RENUMBERED_MIN_LINES`]), at
/// most 1 in 50 agree with the person's record.
///
/// Why they are taken out of the model: sellers number the rows of what they sell, add
/// their own `user_id`, or rewrite the company's ids (a prefix stripped, padding changed).
/// A column that names none of the company's ids then differs on every copied line, and a
/// copy — whose id agrees on nearly every line — could not explain a single one: a plain
/// copy read as "the company's customers as another source holds them" (held-out samples:
/// a genuine copy with a row number read recycled, genuine fraction 0%). Another service's
/// own ids differ the same way, but no outside list is all the company's customers (the
/// overlap prior): where nearly every line is a customer, the ids can only be rewritten,
/// and they weigh for neither story, as if the seller had left the column out. Where many
/// lines are not customers, the column keeps its weight as another service's ids, which
/// is all that tells such a dump from a partial copy (measured: the verdict bench's
/// other-service dump, 58% customers, read as a compilation without it). Left open: a
/// renumbered partial copy mixed with made-up lines still reads as another service's.
pub(crate) fn renumbered_ids(profiles: &[(LineProfile, u64)]) -> Vec<(MatchField, u64)> {
    let lines: u64 = profiles.iter().map(|(_, n)| n).sum();
    let members: u64 = profiles
        .iter()
        .filter(|(p, _)| p.is_member())
        .map(|(_, n)| n)
        .sum();
    if (members as f64) < RENUMBERED_MEMBERS * lines as f64 {
        return Vec::new();
    }
    [MatchField::CustomerId, MatchField::OrderId]
        .into_iter()
        .filter_map(|f| {
            let (mut compared, mut agree) = (0u64, 0u64);
            for (p, n) in profiles.iter().filter(|(p, _)| p.is_member()) {
                match p.level(f) {
                    FieldLevel::Exact | FieldLevel::Close | FieldLevel::Near => {
                        compared += n;
                        agree += n;
                    }
                    FieldLevel::Token | FieldLevel::Differ => compared += n,
                    _ => {}
                }
            }
            (compared >= RENUMBERED_MIN_LINES && agree * 50 <= compared).then_some((f, compared))
        })
        .collect()
}

/// Share of a sample's lines that must be customers before an id column that names none of
/// the company's ids is taken for a seller's ([`renumbered_ids`]).
const RENUMBERED_MEMBERS: f64 = 0.9;

/// Constraints of a nested fit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Constraint {
    /// The copy sources' total share, fixed.
    pub genuine: Option<f64>,
    /// No other people and no reference corpus: the copies explain everything.
    pub copies_only: bool,
    /// The other people are none of the company's customers (overlap 0).
    pub no_overlap: bool,
}

/// Parameters of the model.
#[derive(Clone, Debug)]
struct Params {
    /// Mixture weights: copies (per company system), other, references.
    pi: Vec<f64>,
    m: [[f64; FIELD_LEVELS]; MatchField::COUNT],
    /// A copy's lines are of two kinds, as a seller's noise touches some lines more than
    /// others: `m` for the cleaner ones, `m_noisy` for the others, `noisy` their share.
    /// Without the second kind, a heavily and unevenly noised copy (FEBRL4) fitted better
    /// as a copy *plus* other people than as a copy alone.
    m_noisy: [[f64; FIELD_LEVELS]; MatchField::COUNT],
    noisy: f64,
    /// `m` per shape of line, shrunk towards `m`, as `q_shape` is for other sources: lines
    /// that lack a column are noised differently (FEBRL4's are), and a copy must be as
    /// free as another source to follow that, or the other source takes those lines.
    m_shape: Vec<(u16, [[f64; FIELD_LEVELS]; MatchField::COUNT])>,
    q: [[f64; FIELD_LEVELS]; MatchField::COUNT],
    /// `q` per shape of line (the set of fields it carries), shrunk towards `q`: other
    /// sources differ by their columns (a shop's customers, a forum's members, a
    /// directory), and how their values agree with the company's differs with them.
    q_shape: Vec<(u16, [[f64; FIELD_LEVELS]; MatchField::COUNT])>,
    overlap: f64,
    r_copy: [f64; 5],
    /// Per system of the record compared with (the profile's `system`), per quirk-bearing
    /// field: another source writes the value as that system's record does. Per system,
    /// because whether two ways of writing agree depends on both: a shop that writes phones
    /// as libphonenumber's international format agrees with the one company system that
    /// does, and with no other.
    r_other: Vec<[f64; 5]>,
    /// A copied line also matches a registered corpus whole (the company's data leaked
    /// before and was registered).
    rho_copy: f64,
    /// A line from an unregistered source matches a registered corpus whole, by chance:
    /// [`RHO_OTHER`] (were it fitted, another source would explain a corpus's lines as well
    /// as the corpus does). Both rates apply only when corpora are registered; otherwise no
    /// line can match one and neither source pays anything.
    rho_other: f64,
    /// Recognised lines (a copy's or another source's): probability of each set of
    /// line-only columns.
    line_only_other: Vec<(u16, f64)>,
    /// The same for a set not seen among them.
    line_only_unseen: f64,
}

/// Prior level distribution of a copied field: exact, close, near, token, differ, line only,
/// shared (index 0, absent, unused).
const M_PRIOR: [f64; FIELD_LEVELS] = [0.0, 0.90, 0.04, 0.02, 0.01, 0.02, 0.0, 0.01];
/// Pseudo-lines of the `m` prior: as many as `q`'s, so that where the data cannot tell a
/// copy from another source neither is favoured line by line (measured: 20-line priors on
/// the copy's side made a 300-line reformatted copy look 15 log-units less likely than
/// another list of the same people).
const M_PRIOR_LINES: f64 = 5.0;
/// A copy writes a different value than its record in at most this share of a field's
/// lines (a seller's typos in fields compared exactly), and carries a column none of its
/// person's records has in at most [`M_MAX_LINE_ONLY`] of its lines: beyond that the
/// lines are not copies of these records.
const M_MAX_DIFFER: f64 = 0.1;
const M_MAX_LINE_ONLY: f64 = 0.05;
/// The same cap for a copy's noisier lines (see `Params::m_noisy`), kept equal to the
/// clean kind's (see the M-step).
const M_MAX_DIFFER_NOISY: f64 = 0.1;
/// Prior level distribution of another service's record of a customer.
const Q_PRIOR: [f64; FIELD_LEVELS] = [0.0, 0.64, 0.03, 0.03, 0.04, 0.25, 0.0, 0.01];
const Q_PRIOR_LINES: f64 = 5.0;
/// Beta(1, b) prior of the overlap: an outside list of real people is never entirely the
/// company's customers; b = 4 puts the prior mean at 0.2 and costs a copy-like sample
/// (every line a customer) about 4·ln n — decisive from a few dozen lines.
const OVERLAP_PRIOR_B: f64 = 4.0;
/// At most this share of another source's people are the company's customers. Two
/// services that share more are, for the question asked, the same customer base; and
/// without a bound the other source could take any group of a copy's lines that fits
/// its own field levels a little better (measured: half of FEBRL4's copied lines, whose
/// noise is uneven), paying only the prior's logarithmic price.
const OVERLAP_MAX: f64 = 0.95;
/// Beta prior of a copy keeping the raw form: even, over 2 pseudo-lines. Sellers often
/// re-format what they copy (case, phone punctuation, date order), so a copy's lines that
/// all write values differently from its records are no evidence against it; what counts
/// is a form the lines reproduce that other sources rarely write (`r_other`'s prior).
const R_COPY_PRIOR: (f64, f64) = (1.0, 1.0);
/// Pseudo-lines of the prior of another source writing an e-mail address the company's way
/// (its case): how a person typed an address travels with the person, so a list of the
/// same people may well share it, and the rate is fitted.
const R_OTHER_PRIOR_LINES: f64 = 4.0;
/// Pseudo-lines of the prior of another source writing a phone number, an address, a
/// postal code or a birth date the company's way more often than services at large do
/// (`Inputs::common`): those are a system's formatting, which another service shares only
/// as often as services write that way, whatever the sample. (Writing them less often is
/// fitted as freely as the e-mail's rate: with the strong prior both ways, a list that
/// never wrote phones the company's way paid for it on every line, and a scraped list of
/// names, cities and phones read as a copy.) Fitted as freely as the e-mail's rate, another
/// source took a copy's lines together with their rare forms (a 90% copy without ids
/// beside another company's lines read recycled, genuine 0% [0–0.1%], its other source
/// writing the company's rare postal-code form on 99% of lines); at 200 lines the verdict
/// bench's mixes without ids are found (157 → 158 of 162, 52 → 54 of 54) and no
/// combolist or other-service dump is taken for a copy.
const R_OTHER_PRIOR_LINES_SYSTEM: f64 = 200.0;
/// Chance that a line from an unregistered source matches a registered corpus whole.
const RHO_OTHER: f64 = 1e-3;
/// Floor of the miss rate, the share of copied lines the linkage finds no record for
/// whatever their levels say. Measured: FEBRL4's heavily re-typed copies are missed on
/// 0.04–0.08% of lines. (The linkage model's own `BLOCKING_RECALL`, 99%, is a prior for
/// scoring candidates, not a miss rate: as a floor here it added 1% of a clean copy's size
/// to its estimate, and a half-copied 100,000-line sample read 50.5% (50.2–50.8%).)
const MISS_FLOOR: f64 = 0.001;
const EM_MAX_ITERATIONS: u32 = 300;
const EM_TOLERANCE: f64 = 1e-8;
const TINY: f64 = 1e-300;

/// Fields whose exact agreement alone makes a record the line's person.
const SAME_PERSON: [MatchField; 4] = [
    MatchField::Email,
    MatchField::Phone,
    MatchField::Username,
    MatchField::NationalId,
];

/// The result of one fit.
#[derive(Clone, Debug)]
pub(crate) struct Fitted {
    params: Params,
    pub log_likelihood: f64,
    pub iterations: u32,
    /// Expected lines per component (copies per company system, other, references).
    pub lines: Vec<f64>,
    /// Expected lines of the other people that are customers (same person, other data).
    pub overlap_lines: f64,
    /// Per company system, expected copied lines by (first, last) snapshot span.
    pub spans: Vec<Vec<((u8, u8), f64)>>,
    /// Per company system, expected copied lines whose span is another system's, taken by
    /// date (see [`span_in`]): when their records were present is known only roughly.
    pub by_date: Vec<f64>,
}

impl Fitted {
    /// Total share of the copy sources.
    pub(crate) fn genuine(&self, company: usize) -> f64 {
        self.params.pi[..company].iter().sum()
    }

    pub(crate) fn overlap(&self) -> f64 {
        self.params.overlap
    }

    pub(crate) fn report(&self, inputs: &Inputs) -> SourceFit {
        let n: u64 = inputs.profiles.iter().map(|(_, c)| c).sum();
        let c = inputs.company.len();
        let mut sources: Vec<SourceShare> = Vec::new();
        for (i, s) in inputs.company.iter().enumerate() {
            sources.push(SourceShare {
                source: Source::Copy {
                    system: s.name.clone(),
                },
                share: self.params.pi[i],
                lines: self.lines[i],
            });
        }
        sources.push(SourceShare {
            source: Source::Other,
            share: self.params.pi[c],
            lines: self.lines[c],
        });
        for (j, (_, name)) in inputs.references.iter().enumerate() {
            sources.push(SourceShare {
                source: Source::Reference {
                    corpus: name.clone(),
                },
                share: self.params.pi[c + 1 + j],
                lines: self.lines[c + 1 + j],
            });
        }
        let used: Vec<MatchField> = MatchField::ALL
            .into_iter()
            .filter(|f| {
                inputs
                    .profiles
                    .iter()
                    .any(|(p, _)| p.level(*f) != FieldLevel::Absent)
            })
            .collect();
        let levels = |t: &[[f64; FIELD_LEVELS]; MatchField::COUNT]| {
            used.iter()
                .map(|f| FieldLevels {
                    field: *f,
                    levels: std::array::from_fn(|k| t[f.index()][k + 1]),
                })
                .collect()
        };
        let raw_forms = RAW_FIELDS
            .iter()
            .enumerate()
            .filter(|(_, f)| used.contains(f))
            .map(|(i, f)| RawRates {
                field: *f,
                copy: self.params.r_copy[i],
                other: {
                    let rates: Vec<f64> = self.params.r_other.iter().map(|r| r[i]).collect();
                    rates.iter().sum::<f64>() / rates.len().max(1) as f64
                },
                common: inputs.common[i],
            })
            .collect();
        let _ = n;
        SourceFit {
            sources,
            overlap: self.params.overlap,
            copy_levels: levels(&blend(&self.params)),
            other_levels: levels(&self.params.q),
            raw_forms,
            miss_rate: copy_miss(&self.params, dominant_present(inputs)),
            log_likelihood: self.log_likelihood,
            iterations: self.iterations,
        }
    }
}

/// The present-field mask most lines have.
fn dominant_present(inputs: &Inputs) -> u16 {
    let mut counts: std::collections::HashMap<u16, u64> = std::collections::HashMap::new();
    for (p, n) in &inputs.profiles {
        *counts.entry(present_mask(p)).or_insert(0) += n;
    }
    counts
        .into_iter()
        .max_by_key(|(m, n)| (*n, *m))
        .map_or(0, |(m, _)| m)
}

fn present_mask(p: &LineProfile) -> u16 {
    p.present().fold(0u16, |m, f| m | f.bit())
}

/// Probability that a line whose fields compare at levels drawn from `levels` is *not*
/// recognised as the person's (no e-mail, phone, login or national id exact, and fewer
/// than two identifying fields or ids exact or close), for a line carrying the fields in
/// `present`; at least [`MISS_FLOOR`].
fn miss(levels: &[[f64; FIELD_LEVELS]; MatchField::COUNT], present: u16) -> f64 {
    // States: (no same-person field exact) × (good fields: 0, 1, 2+).
    let mut state = [1.0f64, 0.0, 0.0];
    let mut any_same = 0.0f64;
    for f in MatchField::ALL
        .into_iter()
        .filter(|f| present & f.bit() != 0)
    {
        let l = &levels[f.index()];
        let exact = l[FieldLevel::Exact.index()];
        let close = l[FieldLevel::Close.index()];
        let same_person = SAME_PERSON.contains(&f);
        let good_field = f.is_identifying() || f.is_internal_id();
        // Probability mass moving out (same-person exact) and between good counts.
        let (p_same, p_good) = if same_person {
            (exact, close)
        } else if good_field {
            (0.0, exact + close)
        } else {
            (0.0, 0.0)
        };
        let mut next = [0.0; 3];
        for (k, s) in state.iter().enumerate() {
            any_same += s * p_same;
            let stay = s * (1.0 - p_same - p_good);
            next[k] += stay;
            next[(k + 1).min(2)] += s * p_good;
        }
        state = next;
    }
    let _ = any_same;
    (state[0] + state[1]).clamp(MISS_FLOOR, 1.0)
}

/// The share of `levels`' patterns for the fields in `present` that recognition lets
/// through (1 − the unclamped [`miss`]): what normalizes a recognised line's levels.
fn recognised(levels: &[[f64; FIELD_LEVELS]; MatchField::COUNT], present: u16) -> f64 {
    // The same walk as `miss`, without its floor (which is about blocking, not levels).
    let mut state = [1.0f64, 0.0, 0.0];
    let mut same = 0.0f64;
    for f in MatchField::ALL
        .into_iter()
        .filter(|f| present & f.bit() != 0)
    {
        let l = &levels[f.index()];
        let exact = l[FieldLevel::Exact.index()];
        let close = l[FieldLevel::Close.index()];
        let (p_same, p_good) = if SAME_PERSON.contains(&f) {
            (exact, close)
        } else if f.is_identifying() || f.is_internal_id() {
            (0.0, exact + close)
        } else {
            (0.0, 0.0)
        };
        let mut next = [0.0; 3];
        for (k, s) in state.iter().enumerate() {
            same += s * p_same;
            next[k] += s * (1.0 - p_same - p_good);
            next[(k + 1).min(2)] += s * p_good;
        }
        state = next;
    }
    (same + state[2]).clamp(1e-9, 1.0)
}

/// A copy's recognised-line level likelihood, mixed over its two kinds of lines, and the
/// share of it from the noisy kind.
fn copy_levels(params: &Params, p: &LineProfile, present: u16) -> (f64, f64) {
    let kind = |m: &[[f64; FIELD_LEVELS]; MatchField::COUNT]| {
        (1.0 - miss(m, present)) / recognised(m, present) * level_likelihood(m, p)
    };
    let m = params
        .m_shape
        .binary_search_by_key(&present, |(s, _)| *s)
        .map_or(&params.m, |i| &params.m_shape[i].1);
    let clean = (1.0 - params.noisy) * kind(m);
    let noisy = params.noisy * kind(&params.m_noisy);
    let total = clean + noisy;
    (total, if total > 0.0 { noisy / total } else { 0.0 })
}

/// A copy's miss rate for lines carrying the fields in `present`, over both kinds.
fn copy_miss(params: &Params, present: u16) -> f64 {
    (1.0 - params.noisy) * miss(&params.m, present) + params.noisy * miss(&params.m_noisy, present)
}

/// The copy's level distributions blended by the kinds' shares (for the report).
fn blend(params: &Params) -> [[f64; FIELD_LEVELS]; MatchField::COUNT] {
    std::array::from_fn(|f| {
        std::array::from_fn(|l| {
            (1.0 - params.noisy) * params.m[f][l] + params.noisy * params.m_noisy[f][l]
        })
    })
}

/// Chance that an unrelated person's line is a member with profile `p`: the records held
/// times the chance one of them agrees at the line's levels.
fn chance(inputs: &Inputs, p: &LineProfile) -> f64 {
    let mut c = inputs.held;
    for f in p.present() {
        c *= match p.level(f) {
            l @ (FieldLevel::Exact | FieldLevel::Close | FieldLevel::Near | FieldLevel::Token) => {
                inputs.u[f.index()][l.index()].max(1e-12)
            }
            _ => 1.0,
        };
    }
    c.min(1.0)
}

/// Product of the levels' probabilities over the fields both sides have. Columns none of
/// the person's records carries (line only) are left to [`line_only_mask`]: they go
/// together (a system that lacks the street lacks the city and the postal code too), so
/// they are one observation, not one per field.
fn level_likelihood(t: &[[f64; FIELD_LEVELS]; MatchField::COUNT], p: &LineProfile) -> f64 {
    let mut l = 1.0;
    for f in p.present() {
        let level = p.level(f);
        if level != FieldLevel::LineOnly {
            l *= t[f.index()][level.index()].max(1e-12);
        }
    }
    l
}

/// The line's columns that none of the person's records carries.
fn line_only_mask(p: &LineProfile) -> u16 {
    p.present()
        .filter(|f| p.level(*f) == FieldLevel::LineOnly)
        .fold(0u16, |m, f| m | f.bit())
}

/// Probability of `mask` under another source's distribution of line-only column sets.
fn line_only_other(params: &Params, mask: u16) -> f64 {
    params
        .line_only_other
        .iter()
        .find(|(m, _)| *m == mask)
        .map_or(params.line_only_unseen, |(_, p)| *p)
}

fn raw_likelihood(r: &[f64; 5], p: &LineProfile) -> f64 {
    let mut l = 1.0;
    for (i, rate) in r.iter().enumerate() {
        l *= match p.raw_state(i) {
            RawState::Agree => *rate,
            RawState::Differ => 1.0 - rate,
            RawState::None => 1.0,
        };
    }
    l
}

/// Per-component likelihoods of one profile, and (for the other-people and reference
/// components) the share of that likelihood from a customer's record.
fn likelihoods(inputs: &Inputs, params: &Params, p: &LineProfile, out: &mut Vec<(f64, f64)>) {
    out.clear();
    let c = inputs.company.len();
    if p.canary() {
        // A planted canary exists nowhere else.
        for _ in 0..c {
            out.push((1.0 / c.max(1) as f64, 0.0));
        }
        out.push((0.0, 0.0));
        for _ in &inputs.references {
            out.push((0.0, 0.0));
        }
        return;
    }
    let present = present_mask(p);
    let in_reference = p.reference != 0;
    if !p.is_member() {
        let copy_miss = copy_miss(params, present);
        let other_miss = miss(q_of(params, present), present);
        for _ in 0..c {
            out.push((copy_miss * rho(params.rho_copy, in_reference), 0.0));
        }
        let same = params.overlap * other_miss;
        let other = same + (1.0 - params.overlap);
        out.push((
            other * rho(params.rho_other, in_reference),
            same / other.max(TINY),
        ));
        for (r, _) in &inputs.references {
            let l = if p.reference == *r { other } else { 0.0 };
            out.push((l, same / other.max(TINY)));
        }
        return;
    }
    // Levels given that the line was recognised as the person's: m restricted to the
    // patterns recognition lets through, the rest being the (free) miss rate.
    let mask = line_only_mask(p);
    // Levels given that the line was recognised as the person's, times the chance that it
    // is: what m implies for the line's fields, at least blocking's measured miss rate —
    // the linkage's own misses, known to the model, not left to the sample to explain.
    // Which columns none of the person's records carries follows from which systems hold
    // the person, for a copy's line as for anyone's: both take the sample's distribution of
    // such column sets (`line_only_other`, fitted over every recognised line), and a copy
    // pays besides for carrying any such column at all (its columns are its system's).
    // Measured: letting a copy's lines have none for free let the copies take every line
    // of the people one system holds, beyond another source's share of them.
    let copy = copy_levels(params, p, present).0
        * line_only_other(params, mask)
        * if mask == 0 { 1.0 } else { M_MAX_LINE_ONLY }
        * raw_likelihood(&params.r_copy, p)
        * rho(params.rho_copy, in_reference);
    // Which system a copy is of, and how much that says. A copy of s is a projection of
    // s's record: s holds the person with every column the line has (C, the line's
    // `complete` systems). Another source's customer is any customer: s is among C with
    // probability σ_s / P_C, where P_C is the share of customers some system keeping the
    // line's columns holds (the largest such system's share). So a copy of s weighs
    // P_C / σ_s for s ∈ C against another source's record: a list of the marketing
    // system's people only is its copy; a list of customers at large holds marketing's
    // people in marketing's share, and gains nothing. A line complete nowhere (a row of
    // joined tables, or a column added) counts every system holding the person, without
    // that weight.
    let present_fields = present & !MatchField::NameNative.bit();
    let (eligible, weigh) = if p.complete != 0 && !p.joined() {
        (p.complete, true)
    } else {
        (p.members, false)
    };
    let carried = inputs
        .company
        .iter()
        .filter(|s| s.fields == 0 || present_fields & !s.fields == 0)
        .map(|s| s.share)
        .fold(0.0, f64::max)
        .max(MIN_SHARE);
    for s in &inputs.company {
        let bit = if s.number < 32 { 1u32 << s.number } else { 0 };
        let l = if eligible & bit == 0 {
            0.0
        } else if weigh {
            copy * (carried / s.share).clamp(1.0, 1.0 / MIN_SHARE)
        } else {
            copy
        };
        out.push((l, 0.0));
    }
    let columns = line_only_other(params, mask);
    // Blocking misses another source's customer as it misses a copy's line: the same
    // recognition factor, from q, so neither source pays for misses the other does not.
    let q = q_of(params, present);
    let same = params.overlap * (1.0 - miss(q, present)) / recognised(q, present)
        * columns
        * level_likelihood(q, p)
        * raw_likelihood(
            params
                .r_other
                .get(usize::from(p.system))
                .unwrap_or(&[0.5; 5]),
            p,
        );
    let unrelated = (1.0 - params.overlap) * columns * chance(inputs, p);
    let other = same + unrelated;
    let w = same / other.max(TINY);
    out.push((other * rho(params.rho_other, in_reference), w));
    for (r, _) in &inputs.references {
        out.push((if p.reference == *r { other } else { 0.0 }, w));
    }
}

fn rho(rate: f64, in_reference: bool) -> f64 {
    if rate <= 0.0 {
        // No corpus registered.
        1.0
    } else if in_reference {
        rate
    } else {
        1.0 - rate
    }
}

fn initial(inputs: &Inputs, constraint: &Constraint) -> Params {
    let c = inputs.company.len();
    let k = c + 1 + inputs.references.len();
    let mut pi = vec![1.0 / k as f64; k];
    apply(&mut pi, c, constraint);
    // A copy starts as what the lines whose person the company holds look like (a copy
    // of a first-name column compares as a shared token with a full name, and must not
    // start out improbable); the other people start from the prior.
    let mut seen = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
    let (mut members, mut lines) = (0.0, 0.0);
    for (p, n) in &inputs.profiles {
        let n = *n as f64;
        lines += n;
        if p.is_member() {
            members += n;
            for f in p.present() {
                seen[f.index()][p.level(f).index()] += n;
            }
        }
    }
    let m = estimate(&seen, &M_PRIOR, M_PRIOR_LINES, true);
    // The noisy kind starts halfway between the lines as seen and an even spread.
    let m_noisy: [[f64; FIELD_LEVELS]; MatchField::COUNT] = std::array::from_fn(|f| {
        let spread = [0.0, 0.2, 0.3, 0.2, 0.1, 0.1, 0.0, 0.1];
        std::array::from_fn(|l| 0.5 * m[f][l] + 0.5 * spread[l])
    });
    let mut q = [Q_PRIOR; MatchField::COUNT];
    for f in [MatchField::CustomerId, MatchField::OrderId] {
        q[f.index()] = [0.0, 1e-9, 1e-9, 1e-9, 0.0, 1.0, 0.0, 0.0];
    }
    let slots = inputs
        .profiles
        .iter()
        .map(|(p, _)| usize::from(p.system) + 1)
        .max()
        .unwrap_or(1);
    let r_other = vec![std::array::from_fn(|i| inputs.common[i]); slots];
    let overlap = if lines > 0.0 { members / lines } else { 0.2 };
    Params {
        pi,
        m,
        m_noisy,
        noisy: 0.2,
        m_shape: Vec::new(),
        q,
        q_shape: Vec::new(),
        overlap: if constraint.no_overlap || constraint.copies_only {
            0.0
        } else {
            overlap.clamp(0.05, OVERLAP_MAX)
        },
        r_copy: [0.9; 5],
        r_other,
        rho_copy: if inputs.references.is_empty() {
            0.0
        } else {
            0.05
        },
        rho_other: if inputs.references.is_empty() {
            0.0
        } else {
            RHO_OTHER
        },
        line_only_other: Vec::new(),
        line_only_unseen: 1.0,
    }
}

/// Imposes a constraint on mixture weights (copies first, then other, then references).
fn apply(pi: &mut [f64], company: usize, constraint: &Constraint) {
    if constraint.copies_only {
        for w in &mut pi[company..] {
            *w = 0.0;
        }
    }
    if company == 0 {
        let t: f64 = pi.iter().sum();
        if t > 0.0 {
            pi.iter_mut().for_each(|w| *w /= t);
        }
        return;
    }
    let (copies, rest) = pi.split_at_mut(company);
    let cs: f64 = copies.iter().sum();
    let rs: f64 = rest.iter().sum();
    let target = match constraint.genuine {
        Some(g) => g.clamp(0.0, 1.0),
        None if constraint.copies_only => 1.0,
        None => {
            let t = cs + rs;
            if t > 0.0 {
                cs / t
            } else {
                0.5
            }
        }
    };
    if cs > 0.0 {
        copies.iter_mut().for_each(|w| *w *= target / cs);
    } else {
        copies.iter_mut().for_each(|w| *w = target / company as f64);
    }
    if rs > 0.0 {
        rest.iter_mut().for_each(|w| *w *= (1.0 - target) / rs);
    } else if !constraint.copies_only {
        let k = rest.len() as f64;
        rest.iter_mut().for_each(|w| *w = (1.0 - target) / k);
    }
}

/// Fits the model under `constraint`, starting from `start` when given.
pub(crate) fn fit(inputs: &Inputs, constraint: &Constraint, start: Option<&Fitted>) -> Fitted {
    let c = inputs.company.len();
    let k = c + 1 + inputs.references.len();
    let mut params = match start {
        Some(s) => {
            let mut p = s.params.clone();
            apply(&mut p.pi, c, constraint);
            if constraint.no_overlap {
                p.overlap = 0.0;
            }
            p
        }
        None => initial(inputs, constraint),
    };
    let total: f64 = inputs.profiles.iter().map(|(_, n)| *n as f64).sum();
    let mut lik = Vec::with_capacity(k);
    let mut previous = f64::NEG_INFINITY;
    let mut iterations = 0;
    let mut result = None;
    for it in 0..EM_MAX_ITERATIONS {
        iterations = it + 1;
        let mut lines = vec![0.0; k];
        let mut m_counts = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
        let mut m_noisy_counts = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
        let mut m_shape_counts: std::collections::HashMap<
            u16,
            [[f64; FIELD_LEVELS]; MatchField::COUNT],
        > = std::collections::HashMap::new();
        let mut noisy_lines = 0.0;
        let mut recognised_copies = 0.0;
        let mut q_counts = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
        let mut q_shape_counts: std::collections::HashMap<
            u16,
            [[f64; FIELD_LEVELS]; MatchField::COUNT],
        > = std::collections::HashMap::new();
        let mut raw_copy = [[0.0f64; 2]; 5];
        let mut raw_other = vec![[[0.0f64; 2]; 5]; params.r_other.len()];
        let mut same_lines = 0.0;
        let mut other_lines = 0.0;
        let mut copy_in_reference = 0.0;
        let mut other_in_reference = 0.0;
        let mut copy_lines = 0.0;
        let mut other_masks: std::collections::HashMap<u16, f64> = std::collections::HashMap::new();
        let mut spans: Vec<Vec<((u8, u8), f64)>> = vec![Vec::new(); c];
        let mut by_date = vec![0.0; c];
        let mut ll = 0.0;
        for (p, n) in &inputs.profiles {
            let n = *n as f64;
            likelihoods(inputs, &params, p, &mut lik);
            let weighted: Vec<f64> = lik
                .iter()
                .zip(&params.pi)
                .map(|((l, _), w)| l * w)
                .collect();
            let sum: f64 = weighted.iter().sum();
            if sum <= TINY {
                // No component can produce the line (cannot happen with an unconstrained
                // fit): count it against the fit and move on.
                ll += n * TINY.ln();
                continue;
            }
            ll += n * sum.ln();
            let member = p.is_member() && !p.canary();
            let mut copy_resp = 0.0;
            for (j, w) in weighted.iter().enumerate() {
                let r = n * w / sum;
                lines[j] += r;
                if j < c {
                    copy_resp += r;
                    if let Some((span, mapped)) = span_in(inputs, p, j).filter(|_| r > 0.0) {
                        if mapped {
                            by_date[j] += r;
                        }
                        let v = &mut spans[j];
                        match v.iter_mut().find(|(s, _)| *s == span) {
                            Some((_, x)) => *x += r,
                            None => v.push((span, r)),
                        }
                    }
                } else {
                    other_lines += r;
                    if j == c && p.reference != 0 {
                        other_in_reference += r;
                    }
                    let s = r * lik[j].1;
                    same_lines += s;
                    if member {
                        *other_masks.entry(line_only_mask(p)).or_insert(0.0) += r;
                        for f in p.present() {
                            q_counts[f.index()][p.level(f).index()] += s;
                            q_shape_counts
                                .entry(present_mask(p))
                                .or_insert([[0.0; FIELD_LEVELS]; MatchField::COUNT])[f.index()]
                                [p.level(f).index()] += s;
                        }
                        if let Some(counts) = raw_other.get_mut(usize::from(p.system)) {
                            for (i, c) in counts.iter_mut().enumerate() {
                                match p.raw_state(i) {
                                    RawState::Agree => c[0] += s,
                                    RawState::Differ => c[1] += s,
                                    RawState::None => {}
                                }
                            }
                        }
                    }
                }
            }
            copy_lines += copy_resp;
            if p.reference != 0 {
                copy_in_reference += copy_resp;
            }
            if member && copy_resp > 0.0 {
                *other_masks.entry(line_only_mask(p)).or_insert(0.0) += copy_resp;
                let (_, noisy_share) = copy_levels(&params, p, present_mask(p));
                let (clean, noisy) = (copy_resp * (1.0 - noisy_share), copy_resp * noisy_share);
                noisy_lines += noisy;
                recognised_copies += copy_resp;
                for f in p.present() {
                    m_counts[f.index()][p.level(f).index()] += clean;
                    m_shape_counts
                        .entry(present_mask(p))
                        .or_insert([[0.0; FIELD_LEVELS]; MatchField::COUNT])[f.index()]
                        [p.level(f).index()] += clean;
                    m_noisy_counts[f.index()][p.level(f).index()] += noisy;
                }
                for (i, c) in raw_copy.iter_mut().enumerate() {
                    match p.raw_state(i) {
                        RawState::Agree => c[0] += copy_resp,
                        RawState::Differ => c[1] += copy_resp,
                        RawState::None => {}
                    }
                }
            }
        }
        // The priors of the overlap and the miss rate join the objective (log Beta
        // densities up to constants).
        if !constraint.no_overlap {
            ll += (OVERLAP_PRIOR_B - 1.0) * (1.0 - params.overlap).max(TINY).ln();
        }

        let fitted = Fitted {
            params: params.clone(),
            log_likelihood: ll,
            iterations,
            lines: lines.clone(),
            overlap_lines: same_lines,
            spans,
            by_date,
        };
        let done = (ll - previous).abs() < EM_TOLERANCE * (1.0 + ll.abs());
        previous = ll;
        result = Some(fitted);
        if done {
            break;
        }
        // M-step.
        if total > 0.0 {
            for (w, l) in params.pi.iter_mut().zip(&lines) {
                *w = l / total;
            }
            // A system whose share reached nothing could never take a line back.
            if params.pi[..c].iter().sum::<f64>() > 0.0 {
                for w in &mut params.pi[..c] {
                    *w = w.max(1e-12);
                }
            }
            apply(&mut params.pi, c, constraint);
        }
        params.m = estimate(&m_counts, &M_PRIOR, M_PRIOR_LINES, true);
        // The noisy kind differs on a field in at most M_MAX_DIFFER_NOISY of its lines, as the
        // clean kind: measured, 0.3 let the copies take another service's odd lines (a
        // foreign id, a city and postal code of another time) as a component of outliers.
        params.m_noisy = estimate(&m_noisy_counts, &M_PRIOR, M_PRIOR_LINES, false);
        for f in MatchField::ALL {
            let cap = if f.is_internal_id() {
                M_MAX_DIFFER
            } else {
                M_MAX_DIFFER_NOISY
            };
            cap_field(&mut params.m_noisy[f.index()], cap);
        }
        params.m_shape = m_shape_counts
            .iter()
            .map(|(mask, counts)| (*mask, cap_copy(shrink(counts, &params.m))))
            .collect();
        params.m_shape.sort_by_key(|(s, _)| *s);
        params.noisy = ((noisy_lines + 1.0) / (recognised_copies + 2.0)).clamp(1e-6, 1.0 - 1e-6);
        params.q = foreign_ids(estimate(&q_counts, &Q_PRIOR, Q_PRIOR_LINES, false));
        params.q_shape = q_shape_counts
            .iter()
            .map(|(mask, counts)| (*mask, foreign_ids(shrink(counts, &params.q))))
            .collect();
        params.q_shape.sort_by_key(|(m, _)| *m);
        if !constraint.no_overlap {
            // With no other people at all, the overlap sits at its prior's mode (0), so
            // that fits without them pay nothing for it.
            params.overlap = if other_lines > 0.0 {
                (same_lines / (other_lines + OVERLAP_PRIOR_B - 1.0)).clamp(0.0, OVERLAP_MAX)
            } else {
                0.0
            };
        }
        for i in 0..5 {
            let [a, d] = raw_copy[i];
            params.r_copy[i] = (a + R_COPY_PRIOR.0) / (a + d + R_COPY_PRIOR.0 + R_COPY_PRIOR.1);
            let prior = inputs.common[i].clamp(0.01, 0.99);
            let strength = if RAW_FIELDS[i] == MatchField::Email {
                R_OTHER_PRIOR_LINES
            } else {
                R_OTHER_PRIOR_LINES_SYSTEM
            };
            for (rates, counts) in params.r_other.iter_mut().zip(&raw_other) {
                let [a, d] = counts[i];
                // Writing it differently from the company is what services do anyway:
                // only a rate above theirs needs the stronger prior's evidence.
                let free = (a + R_OTHER_PRIOR_LINES * prior) / (a + d + R_OTHER_PRIOR_LINES);
                rates[i] = if free > prior {
                    (a + strength * prior) / (a + d + strength)
                } else {
                    free
                };
            }
        }
        if !inputs.references.is_empty() {
            params.rho_copy = (copy_in_reference + 0.25) / (copy_lines + 5.0);
        }
        let _ = other_in_reference;
        // The line-only column sets of the recognised lines: their shares, each seen set
        // given half a line more, and an unseen set half a line.
        let seen: f64 = other_masks.values().sum();
        let slots = other_masks.len() as f64 + 1.0;
        params.line_only_other = other_masks
            .iter()
            .map(|(m, n)| (*m, (n + 0.5) / (seen + 0.5 * slots)))
            .collect();
        params.line_only_other.sort_by_key(|(m, _)| *m);
        params.line_only_unseen = 0.5 / (seen + 0.5 * slots);
    }
    result.unwrap_or(Fitted {
        params,
        log_likelihood: 0.0,
        iterations,
        lines: vec![0.0; k],
        overlap_lines: 0.0,
        spans: vec![Vec::new(); c],
        by_date: vec![0.0; c],
    })
}

/// Per component (weight, likelihood) of one profile, and its chance (debugging output).
pub(crate) fn explain(inputs: &Inputs, fitted: &Fitted, p: &LineProfile) -> (Vec<(f64, f64)>, f64) {
    let mut lik = Vec::new();
    likelihoods(inputs, &fitted.params, p, &mut lik);
    (
        fitted
            .params
            .pi
            .iter()
            .zip(&lik)
            .map(|(w, (l, _))| (*w, *l))
            .collect(),
        chance(inputs, p),
    )
}

/// Per profile, n × ln(mixture likelihood) under `fitted`: for finding which lines two
/// fits explain differently (debugging output of `BREACHCHECK_DEBUG_FITS`).
pub(crate) fn contributions(inputs: &Inputs, fitted: &Fitted) -> Vec<f64> {
    let mut lik = Vec::new();
    inputs
        .profiles
        .iter()
        .map(|(p, n)| {
            likelihoods(inputs, &fitted.params, p, &mut lik);
            let sum: f64 = lik
                .iter()
                .zip(&fitted.params.pi)
                .map(|((l, _), w)| l * w)
                .sum();
            *n as f64 * sum.max(TINY).ln()
        })
        .collect()
}

/// Another service has its own ids: the company's agree with its only by chance, which
/// the unrelated part (the id space's density) already covers.
fn foreign_ids(
    mut q: [[f64; FIELD_LEVELS]; MatchField::COUNT],
) -> [[f64; FIELD_LEVELS]; MatchField::COUNT] {
    for f in [MatchField::CustomerId, MatchField::OrderId] {
        let d = &mut q[f.index()];
        let moved: f64 = d[1..4].iter().sum();
        d[1..4].fill(1e-9);
        d[FieldLevel::Differ.index()] += moved;
    }
    q
}

/// Lines of one shape worth as much as the pooled estimate when shrinking towards it.
const SHAPE_PRIOR_LINES: f64 = 50.0;

/// A shape's level distributions: its counts shrunk towards `pooled` by
/// [`SHAPE_PRIOR_LINES`] (line-only columns are counted apart, as in [`estimate`]).
fn shrink(
    counts: &[[f64; FIELD_LEVELS]; MatchField::COUNT],
    pooled: &[[f64; FIELD_LEVELS]; MatchField::COUNT],
) -> [[f64; FIELD_LEVELS]; MatchField::COUNT] {
    let line_only = FieldLevel::LineOnly.index();
    let mut out = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
    for f in 0..MatchField::COUNT {
        let seen: f64 = (1..FIELD_LEVELS)
            .filter(|l| *l != line_only)
            .map(|l| counts[f][l])
            .sum();
        for l in (1..FIELD_LEVELS).filter(|l| *l != line_only) {
            out[f][l] =
                (counts[f][l] + SHAPE_PRIOR_LINES * pooled[f][l]) / (seen + SHAPE_PRIOR_LINES);
        }
    }
    out
}

/// A copy's level distributions with differing values capped at [`M_MAX_DIFFER`].
fn cap_copy(
    mut m: [[f64; FIELD_LEVELS]; MatchField::COUNT],
) -> [[f64; FIELD_LEVELS]; MatchField::COUNT] {
    for d in &mut m {
        cap_field(d, M_MAX_DIFFER);
    }
    m
}

/// Caps one field's differing share at `cap`; what is capped goes back to the levels a
/// copy shows (exact to token), in proportion.
fn cap_field(d: &mut [f64; FIELD_LEVELS], cap: f64) {
    let differ = FieldLevel::Differ.index();
    if d[differ] > cap {
        let excess = d[differ] - cap;
        d[differ] = cap;
        let keep: f64 = d[1..5].iter().sum();
        if keep > 0.0 {
            for v in &mut d[1..5] {
                *v += excess * *v / keep;
            }
        }
    }
}

/// The other sources' level distributions for lines carrying the fields in `present`.
fn q_of(params: &Params, present: u16) -> &[[f64; FIELD_LEVELS]; MatchField::COUNT] {
    params
        .q_shape
        .binary_search_by_key(&present, |(m, _)| *m)
        .map_or(&params.q, |i| &params.q_shape[i].1)
}

/// Level distributions from weighted counts and a prior; for copies, differing values and
/// columns the record lacks are capped (see [`M_MAX_DIFFER`]).
fn estimate(
    counts: &[[f64; FIELD_LEVELS]; MatchField::COUNT],
    prior: &[f64; FIELD_LEVELS],
    prior_lines: f64,
    copy: bool,
) -> [[f64; FIELD_LEVELS]; MatchField::COUNT] {
    let mut out = [[0.0; FIELD_LEVELS]; MatchField::COUNT];
    let line_only = FieldLevel::LineOnly.index();
    for f in 0..MatchField::COUNT {
        // Levels of fields both sides have; line-only columns are counted apart.
        let seen: f64 = counts[f][1..]
            .iter()
            .enumerate()
            .filter(|(l, _)| l + 1 != line_only)
            .map(|(_, n)| n)
            .sum();
        let prior_mass: f64 = prior[1..]
            .iter()
            .enumerate()
            .filter(|(l, _)| l + 1 != line_only)
            .map(|(_, p)| p)
            .sum();
        let mut d = [0.0; FIELD_LEVELS];
        for l in (1..FIELD_LEVELS).filter(|l| *l != line_only) {
            d[l] = (counts[f][l] + prior_lines * prior[l] / prior_mass) / (seen + prior_lines);
        }
        if copy && d[FieldLevel::Differ.index()] > M_MAX_DIFFER {
            // Give what was capped back to the levels a copy shows.
            let excess = d[FieldLevel::Differ.index()] - M_MAX_DIFFER;
            d[FieldLevel::Differ.index()] = M_MAX_DIFFER;
            let keep: f64 = d[1..5].iter().sum();
            if keep > 0.0 {
                for v in &mut d[1..5] {
                    *v += excess * *v / keep;
                }
            }
        }
        out[f] = d;
    }
    out
}

/// 2 × the log-likelihood ratio a test needs, for a parameter on the boundary of its range
/// (a share of 0): the statistic is then ½χ²₀ + ½χ²₁, and 13.8 is its 1-in-10,000 point.
/// A verdict is a public statement; saying "ours" when the lines are not must be that rare.
pub(crate) const CRITICAL: f64 = 13.8;

/// 2 × log-likelihood drop that bounds the 95% profile-likelihood interval (χ²₁).
const INTERVAL: f64 = 3.841_458_820_694_124;

/// The profile-likelihood 95% interval of the copies' total share, around the best fit
/// `best` (bisection on each side, each point an EM fit with the share held fixed).
pub(crate) fn genuine_interval(inputs: &Inputs, best: &Fitted) -> [f64; 2] {
    let c = inputs.company.len();
    if c == 0 {
        return [0.0, 0.0];
    }
    let g = best.genuine(c);
    let drop = |x: f64| {
        let f = fit(
            inputs,
            &Constraint {
                genuine: Some(x),
                ..Constraint::default()
            },
            Some(best),
        );
        2.0 * (best.log_likelihood - f.log_likelihood)
    };
    let bound = |inside: f64, outside: f64| {
        if drop(outside) <= INTERVAL {
            return outside;
        }
        let (mut a, mut b) = (inside, outside);
        for _ in 0..18 {
            let mid = 0.5 * (a + b);
            if drop(mid) <= INTERVAL {
                a = mid;
            } else {
                b = mid;
            }
        }
        a
    };
    [bound(g, 0.0), bound(g, 1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(profiles: Vec<(LineProfile, u64)>, shares: &[f64]) -> Inputs {
        let mut u = [[0.0, 1e-6, 1e-5, 1e-4, 0.02, 1.0, 1.0, 1.0]; MatchField::COUNT];
        u[MatchField::Name.index()][FieldLevel::Exact.index()] = 1e-4;
        u[MatchField::Country.index()][FieldLevel::Exact.index()] = 0.2;
        Inputs {
            profiles,
            company: shares
                .iter()
                .enumerate()
                .map(|(i, s)| CompanySystem {
                    number: i as u32,
                    name: format!("s{i}"),
                    share: *s,
                    fields: 0,
                    snapshots: Vec::new(),
                })
                .collect(),
            references: Vec::new(),
            u,
            held: 100_000.0,
            common: [0.4; 5],
            renumbered: Vec::new(),
        }
    }

    fn line(levels: &[(MatchField, FieldLevel)], members: u32) -> LineProfile {
        let mut p = LineProfile {
            members,
            complete: members,
            system: u8::from(members != 0),
            span: (0xff, 0xff),
            ..LineProfile::default()
        };
        for (f, l) in levels {
            p.set_level(*f, *l);
        }
        p
    }

    use FieldLevel::{Differ, Exact, LineOnly};
    use MatchField::{CustomerId, Email, Name, Phone};

    #[test]
    fn a_copy_is_all_copies_and_another_service_none() {
        // 1,000 lines of one system's columns, every one of them held whole.
        let copy = inputs(
            vec![(
                line(&[(Email, Exact), (Name, Exact), (CustomerId, Exact)], 1),
                1000,
            )],
            &[1.0],
        );
        let f = fit(&copy, &Constraint::default(), None);
        assert!(f.genuine(1) > 0.99, "{}", f.genuine(1));
        // Another service: 300 of 1,000 are customers, same e-mail and name, its own ids.
        let other = inputs(
            vec![
                (
                    line(&[(Email, Exact), (Name, Exact), (CustomerId, Differ)], 1),
                    300,
                ),
                (
                    line(
                        &[(Email, LineOnly), (Name, LineOnly), (CustomerId, LineOnly)],
                        0,
                    ),
                    700,
                ),
            ],
            &[1.0],
        );
        let full = fit(&other, &Constraint::default(), None);
        let none = fit(
            &other,
            &Constraint {
                genuine: Some(0.0),
                ..Constraint::default()
            },
            None,
        );
        assert!(
            2.0 * (full.log_likelihood - none.log_likelihood) < CRITICAL,
            "{} vs {}",
            full.log_likelihood,
            none.log_likelihood
        );
        assert!((none.overlap() - 0.3).abs() < 0.05, "{}", none.overlap());
    }

    #[test]
    fn another_source_writes_a_systems_formats_only_as_often_as_services_do() {
        // 100 lines of customers that write the e-mail as the company's record does and
        // the postal code in the company's rare form (services at large: 9%), explained
        // by another source only: the e-mail's rate follows the lines (a person types an
        // address the same way everywhere), the postal code's stays near the services'
        // rate, so that those lines keep counting for a copy.
        // The other source's raw-form rates fitted to 100 such lines, with no copies.
        let rates_of = |email: RawState, postal: RawState, common: [f64; 5]| {
            let mut l = line(&[(Email, Exact), (Name, Exact)], 1);
            l.set_level(MatchField::PostalCode, Exact);
            l.set_raw_state(0, email);
            l.set_raw_state(3, postal);
            let mut i = inputs(vec![(l, 100)], &[1.0]);
            i.common = common;
            let none = Constraint {
                genuine: Some(0.0),
                ..Constraint::default()
            };
            fit(&i, &none, None).params.r_other[1]
        };
        let rates = rates_of(RawState::Agree, RawState::Agree, [0.3, 0.4, 0.4, 0.09, 0.4]);
        assert!(rates[0] > 0.9, "{rates:?}");
        assert!(rates[3] < 0.5, "{rates:?}");

        // A list that never writes them the company's way is what services do anyway: the
        // rate follows the lines down, and such lines cost the other source nothing.
        let rates = rates_of(RawState::None, RawState::Differ, [0.3, 0.4, 0.4, 0.4, 0.4]);
        assert!(rates[3] < 0.05, "{rates:?}");
    }

    #[test]
    fn a_mix_is_measured_with_an_interval_that_covers_it() {
        let i = inputs(
            vec![
                (
                    line(
                        &[
                            (Email, Exact),
                            (Name, Exact),
                            (Phone, Exact),
                            (CustomerId, Exact),
                        ],
                        1,
                    ),
                    100,
                ),
                (
                    line(
                        &[
                            (Email, LineOnly),
                            (Name, LineOnly),
                            (Phone, LineOnly),
                            (CustomerId, LineOnly),
                        ],
                        0,
                    ),
                    900,
                ),
            ],
            &[1.0],
        );
        let f = fit(&i, &Constraint::default(), None);
        let ci = genuine_interval(&i, &f);
        assert!(ci[0] <= 0.1 && 0.1 <= ci[1], "{ci:?}");
        assert!(ci[1] - ci[0] < 0.1, "{ci:?}");
    }

    #[test]
    fn a_subset_systems_people_only_is_its_copy() {
        // A list of 500 people all held by a system holding 40% of the customers, nothing
        // but names and e-mails: a copy of that system, not a list that overlaps the base.
        let i = inputs(
            vec![(line(&[(Email, Exact), (Name, Exact)], 0b11), 500)],
            &[1.0, 0.4],
        );
        let full = fit(&i, &Constraint::default(), None);
        let none = fit(
            &i,
            &Constraint {
                genuine: Some(0.0),
                ..Constraint::default()
            },
            None,
        );
        assert!(2.0 * (full.log_likelihood - none.log_likelihood) > CRITICAL);
        assert!(full.lines[1] > full.lines[0], "{:?}", full.lines);
    }

    #[test]
    fn the_miss_rate_follows_the_fields() {
        let m = [[0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0]; MatchField::COUNT];
        // One e-mail: missed when it differs.
        assert!((miss(&m, Email.bit()) - 0.5).abs() < 1e-9);
        // Name and birth date: missed unless both agree.
        let nb = Name.bit() | MatchField::BirthDate.bit();
        assert!((miss(&m, nb) - 0.75).abs() < 1e-9);
        assert!(miss(&M_ALL_EXACT, Email.bit() | Name.bit()) <= MISS_FLOOR + 1e-12);
    }

    const M_ALL_EXACT: [[f64; FIELD_LEVELS]; MatchField::COUNT] =
        [[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; MatchField::COUNT];
}
