//! What a verdict found, as data: each [`Finding`] carries the counts and rates behind one
//! sentence of the report's reasons, and `breachcheck-report` renders them (so the wording
//! lives in one place, and a test can check a verdict's findings without parsing prose).

use crate::VerdictClass;
use breachcheck_core::MatchField;
use serde::{Deserialize, Serialize};

/// One finding of a verdict, strongest first in [`crate::Verdict::findings`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// Nothing could be read.
    NoRecords,
    /// Most lines have no field breachcheck can use.
    UnreadableColumns {
        /// Lines without a usable field.
        empty: u64,
        /// Lines read.
        lines: u64,
    },
    /// Planted canary records matched.
    Canary {
        /// Lines.
        lines: u64,
        /// Systems the canaries were planted in.
        systems: Vec<String>,
    },
    /// The source model needs copies of the company's systems to explain the sample.
    CompanyLines {
        /// Expected copied lines.
        lines: f64,
        /// Lines read.
        of: u64,
        /// 2 × log-likelihood ratio of the fit with copies over the best fit without.
        statistic: f64,
        /// The critical value it was compared with.
        critical: f64,
    },
    /// The source model does not need copies of the company's systems.
    NoCompanyLines {
        /// Upper end of the 95% interval of the copied share.
        upper: f64,
        /// Lines read.
        of: u64,
        /// 2 × log-likelihood ratio of the fit with copies over the best fit without.
        statistic: f64,
        /// The critical value it was compared with.
        critical: f64,
    },
    /// Nothing but copies: the fit with copies only is as good as any.
    CopiesOnly {
        /// 2 × log-likelihood ratio of the best fit over the copies-only fit.
        statistic: f64,
    },
    /// What the lines matched, by evidence class (no verdict in it).
    Matched {
        /// Lines matching one record on every personal field they carry (whole or with
        /// typos).
        whole: u64,
        /// Of those, lines carrying a system's own identifier.
        internal_id: u64,
        /// Of those, lines reproducing a rarely used way of writing a value.
        rare_form: u64,
        /// Lines agreeing field by field with several records of one person.
        joined: u64,
        /// Lines sharing some value with a record without matching it.
        partial: u64,
        /// Lines matching nothing.
        none: u64,
        /// Lines read.
        of: u64,
    },
    /// Lines whose person is a customer, carrying other data than the company holds.
    SamePeopleOtherData {
        /// Expected such lines.
        lines: f64,
        /// Lines read.
        of: u64,
        /// Share of the non-copied lines that are customers.
        overlap: f64,
    },
    /// Lines whose contact details match a record while their id column names another id.
    ForeignIds {
        /// Lines.
        lines: u64,
    },
    /// An id column that names none of the company's ids on the lines of its customers
    /// (a seller's row numbers, its own ids, or the company's rewritten): not weighed.
    RenumberedIds {
        /// The field (`customer_id`, `order_id`).
        field: String,
        /// Lines of the company's customers carrying the column.
        lines: u64,
    },
    /// The system (and snapshots) the copied lines agree with.
    Source {
        /// System.
        system: String,
        /// Expected copied lines from it.
        lines: f64,
        /// Other systems with copied lines (name, expected lines).
        others: Vec<(String, f64)>,
    },
    /// The snapshots the copied records were all present in.
    Dating {
        /// System.
        system: String,
        /// First snapshot of the window.
        from: String,
        /// Last snapshot of the window.
        to: String,
        /// Whether the window is narrower than the system's snapshots on the left (records
        /// that first appear at `from`) and on the right (records gone after `to`).
        bounded: (bool, bool),
    },
    /// The copied records were present at incompatible times.
    DatingMixed {
        /// System.
        system: String,
    },
    /// Lines that match a registered earlier breach whole.
    Reference {
        /// Corpus name.
        corpus: String,
        /// Its registration date.
        registered: String,
        /// Lines.
        lines: u64,
        /// Lines read.
        of: u64,
    },
    /// Copied lines that also appear in registered breaches: the company's data
    /// circulated before.
    LeakedBefore {
        /// Expected lines.
        lines: f64,
    },
    /// Corpora were registered, none matched.
    NoReferenceMatch {
        /// Corpus names.
        corpora: Vec<String>,
    },
    /// No corpus registered.
    NoReference,
    /// The sample's rows fall into shapes of disjoint columns: several sources merged.
    Shapes {
        /// Each shape: its fields, lines, and lines whose person the company holds.
        shapes: Vec<Shape>,
    },
    /// Only public fields (names, phones, places).
    PublicFieldsOnly,
    /// Too few lines to rule out a real share of company data.
    SmallSample {
        /// Lines read.
        lines: u64,
        /// Upper end of the 95% interval of the copied share.
        upper: f64,
    },
    /// Every story's score.
    Hypotheses {
        /// (story, posterior) most likely first.
        scores: Vec<(VerdictClass, f64)>,
    },
    /// Values repeating far more often than the company's.
    Fingerprint {
        /// Field.
        field: MatchField,
        /// Ratio of the repetition rates.
        ratio: f64,
        /// Sample's rate and pairs.
        sample: (f64, u64),
        /// Company's rate and pairs.
        company: (f64, u64),
    },
    /// Lines repeating an earlier line.
    Duplicates {
        /// Lines.
        lines: u64,
        /// Lines read.
        of: u64,
    },
    /// A data-quality signal.
    Quality {
        /// What is wrong.
        signal: QualitySignal,
        /// Lines.
        lines: u64,
        /// Lines read.
        of: u64,
    },
    /// Coincidence baseline.
    Baseline {
        /// Lines unrelated people would match by coincidence.
        expected: f64,
        /// Per line.
        rate: f64,
        /// Lines read.
        of: u64,
    },
    /// A genuine copy without anything only the company holds.
    NothingCompanyOnly,
}

/// A data-quality signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualitySignal {
    /// A phone number with no valid reading in any plausible region.
    PhoneImpossible,
    /// An e-mail without a registrable domain.
    EmailInvalid,
    /// An impossible date of birth.
    BirthDateImpossible,
    /// An e-mail at a domain reserved for documentation or tests.
    EmailReserved,
}

/// Rows of one set of fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Fields the rows carry.
    pub fields: Vec<MatchField>,
    /// Rows.
    pub lines: u64,
    /// Rows whose person a company system holds.
    pub customers: u64,
}
