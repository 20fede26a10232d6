//! The pipeline as a library: the jobs the CLI runs and the server runs in-process.
//!
//! - [`Verifier`]: a sample read, normalized, probed against an index, tallied, decided
//!   and reported (`breachcheck verify`).
//! - [`IndexJob`]: one snapshot of one system (or canaries, or a reference corpus) added
//!   to an index (`breachcheck index build`).
//! - [`inspect()`], [`index_info`], the audit's two sides ([`audit_set_from_sources`],
//!   [`audit_sample_values`]) and the company's phone regions.
//! - [`selfcheck_values`]: a sample's e-mails and phones with what a customer's private
//!   self-check may tell about each (`breachcheck selfcheck publish`).
//!
//! Jobs report progress to a [`Progress`] (a terminal bar, the server's counters, or
//! nothing), stream per-line outcomes to a [`MatchSink`], and stage the files they write
//! in a `breachcheck_files::Outputs` set that the caller puts in place all or nothing.
//! Records flow in batches that are normalized and probed in parallel; memory is bounded
//! by the batch, not the file.

mod audit_sets;
mod build;
mod error;
mod info;
mod inspect;
mod outputs;
mod prepare;
pub mod progress;
mod regions;
mod selfcheck;
#[cfg(feature = "postgres")]
pub mod source_pg;
mod stream;
pub mod time;
mod verify;

pub use audit_sets::{audit_sample_values, audit_set_from_sources};
pub use build::{BuildSummary, IndexJob, Input};
pub use error::{Error, Result};
pub use info::{audit_status, index_info, AuditStatus};
pub use inspect::{inspect, Inspection};
pub use outputs::{MatchesFile, QuarantineFile};
pub use prepare::{build_prepared, prepare_lines, PreparedLine};
pub use progress::{Counters, Progress, Silent};
pub use regions::{company_phone_region_codes, company_phone_regions};
pub use selfcheck::{selfcheck_values, MatchedLines, SelfcheckValues};
pub use stream::for_each_tagged_batch;
pub use verify::{MatchSink, Verifier};
