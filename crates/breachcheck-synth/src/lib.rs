//! Synthetic data for the demo, the tests and the benchmarks: an international customer
//! population that evolves across snapshots (customers join, move, change phones and
//! leave), the exports of several internal systems — each with its own columns and its
//! own habits of writing values — and leak samples of known composition. Everything is
//! generated from a seed; no value is real.
//!
//! ```
//! use breachcheck_synth::{Population, SYSTEMS};
//! let pop = Population::generate(7, 200);
//! let rows = pop.export(&SYSTEMS[0], 0);
//! assert!(rows.rows.len() > 100);
//! ```
#![forbid(unsafe_code)]

mod noise;
mod people;
pub mod scenario;
mod write;

pub use noise::seller_noise;
pub use people::{leak_sample, people_stream, recycled_sample, Person, Population};
pub use scenario::{Company, CompanyParams, Story, StoryKind, StoryOptions, Truth};
pub use write::{write_table, Table, TableFormat};

/// How an internal system stores its customers: its columns and its formatting habits.
#[derive(Clone, Copy, Debug)]
pub struct SystemSpec {
    /// System name.
    pub name: &'static str,
    /// Share of customers the system holds (per mille, stable per person).
    pub share_permille: u32,
    /// Export format.
    pub format: TableFormat,
    /// Columns (header names).
    pub columns: &'static [&'static str],
}

/// A ten-column customer export — id, e-mail, first and last name, phone, street, house
/// number, city, postal code, country — the shape most CRM and shop exports take, and the
/// one the size and speed targets of the index are stated for (`bench --shape wide`). Not
/// one of the demo's systems.
pub const WIDE_ACCOUNTS: SystemSpec = SystemSpec {
    name: "accounts",
    share_permille: 1000,
    format: TableFormat::Csv(b','),
    columns: &[
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "street_name",
        "house_number",
        "city",
        "postal_code",
        "country",
    ],
};

/// The demo company's systems.
pub const SYSTEMS: [SystemSpec; 3] = [
    SystemSpec {
        name: "accounts",
        share_permille: 1000,
        format: TableFormat::Csv(b','),
        columns: &[
            "customer_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "birth_date",
            "country",
        ],
    },
    SystemSpec {
        name: "orders",
        share_permille: 600,
        format: TableFormat::Csv(b';'),
        columns: &[
            "order_id",
            "customer_id",
            "full_name",
            "street",
            "postal_code",
            "city",
            "country",
            "phone",
        ],
    },
    SystemSpec {
        name: "marketing",
        share_permille: 450,
        format: TableFormat::Ndjson,
        columns: &["email", "name.first", "name.last", "country", "consent"],
    },
];

/// Snapshot dates of the demo company, oldest first.
pub const SNAPSHOTS: [&str; 3] = ["2026-01-31", "2026-04-30", "2026-07-31"];
