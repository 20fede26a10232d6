//! `breachcheck`: is this leak sample ours? The command-line edge of the pipeline: parses
//! arguments, runs the library's jobs (`breachcheck_pipeline`) and prints results. Library
//! errors become `anyhow` errors here and nowhere else.
#![forbid(unsafe_code)]

/// `println!` that ends the process quietly when stdout is a closed pipe
/// (`breachcheck inspect x | head`), instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

mod add_audit;
mod audit;
mod bench;
mod canary;
mod demo;
mod keyfile;
mod prepared;
mod progress;
mod results;
mod selfcheck_cmd;
#[cfg(feature = "serve")]
mod serve_cmd;
mod stages;
mod translog;
mod verdicts;
mod verify_cmd;

use anyhow::{Context, Result};
use breachcheck_core::FieldRole;
use breachcheck_pipeline::{time, IndexJob, Input};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "breachcheck",
    version,
    about = "Is this leak sample ours? Cross-checks a claimed leak against a keyed-hash index of the company's systems.",
    after_help = "Start with `breachcheck demo`: it builds a synthetic company, indexes it, and verifies three leak samples.\n\nLogging: set BREACHCHECK_LOG=debug for details (never values)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the secret key of the blind index.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Build and inspect the blind index of the company's systems.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Cross-check a leak sample against the index and write the evidence report.
    #[command(
        after_help = VERIFY_HELP
    )]
    Verify(VerifyArgs),
    /// Manage the key that signs evidence reports.
    #[command(subcommand, name = "sign-key")]
    SignKey(SignKeyCommand),
    /// Check evidence reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Show how a file would be read: container, encoding, format, column roles (never values).
    #[command(after_help = "Example:\n  breachcheck inspect sample.csv.gz --json")]
    Inspect(InspectArgs),
    /// Generate a synthetic company and three leak samples, index and verify them.
    #[command(after_help = "Example:\n  breachcheck demo --dir /tmp/bc-demo")]
    Demo(DemoArgs),
    /// Print the canonical form of one raw value per stdin line (or `!invalid: <reason>`).
    #[command(
        after_help = "Example:\n  printf '0151 23456789\\n+49 (151) 234-567-89\\n' | breachcheck normalize --role phone --country DE\n\nPrints only what it was given, one line out per line in."
    )]
    Normalize {
        /// Role of the values.
        #[arg(long)]
        role: FieldRole,
        /// Country of the values (ISO alpha-2 or name): phone region, postal and date rules.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// Phone region when --country is not given.
        #[arg(long, value_name = "CC")]
        default_region: Option<String>,
    },
    /// Register reference corpora: known earlier breaches or public directories.
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Case folders: reports and their append-only custody log.
    #[command(subcommand)]
    Case(CaseCommand),
    /// The transparency log: index commitments, verification statements, audit transcripts
    /// and public updates in an append-only Merkle log anyone can check.
    #[command(subcommand)]
    Log(translog::LogCommand),
    /// A third-party audit: an auditor learns how many of a sample's e-mails, phones and
    /// name+address pairs the company holds, and nothing else; neither side shows its data.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Make canary records to plant in a system.
    #[command(subcommand)]
    Canary(CanaryCommand),
    /// Write a sample's tags to Parquet to join with an index export in another engine:
    /// columns line, tag (first 40 bits, as `index export` does), full (the whole tag),
    /// most_hits (a weak key the verify skips above this many hits; 0: never) and
    /// per_segment (the hits a verify reads per segment).
    #[command(
        after_help = "Example:\n  breachcheck tags --key company.key --out sample-tags.parquet sample.csv\n  breachcheck tags --key company.key --manifest export/ --out sample-tags.parquet sample.csv"
    )]
    Tags {
        /// Secret key file (the index's).
        #[arg(long)]
        key: PathBuf,
        /// Parquet file to write.
        #[arg(long, value_name = "FILE.parquet")]
        out: PathBuf,
        /// An index or export directory: normalize as a verify against it does, and write
        /// every tag such a verify looks up (blocking tags, id neighbours, audited values),
        /// for a join whose candidates `verify --candidates` scores.
        #[arg(long, value_name = "DIR")]
        manifest: Option<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
        /// The sample.
        sample: PathBuf,
    },
    /// Measure index build and verify throughput and peak memory on synthetic data.
    #[command(
        after_help = "Example:\n  breachcheck bench --records 1000000 --sample 100000\n  breachcheck bench --stages --records 200000"
    )]
    Bench(bench::BenchArgs),
    /// The incident team's server: an HTTP API and a web app over cases, samples, jobs,
    /// reports and custody logs (SQLite in the data folder, or PostgreSQL).
    #[cfg(feature = "serve")]
    #[command(after_help = serve_cmd::SERVE_HELP)]
    Serve(serve_cmd::ServeArgs),
    /// The customers' private self-check: publish a claim from a sample for people to
    /// check whether their e-mail or phone is in it (without the server learning which),
    /// withdraw it, or query a server as a customer would.
    #[command(subcommand)]
    Selfcheck(selfcheck_cmd::SelfcheckCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a new 32-byte random key (file mode 0600; never overwrites).
    #[command(after_help = "Example:\n  breachcheck key generate --out company.key")]
    Generate {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum SignKeyCommand {
    /// Create a new ed25519 report-signing key (mode 0600; never overwrites) and print its
    /// public key, which is what others use to check your reports.
    #[command(after_help = "Example:\n  breachcheck sign-key generate --out reports.signkey")]
    Generate {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Check a report's detached signature (REPORT.sig) and, given the sample, that the
    /// report is about exactly this file.
    #[command(
        after_help = "Example:\n  breachcheck report verify report.json --public-key 3b6a27bc… --sample sample.csv"
    )]
    Verify {
        /// The JSON report.
        report: PathBuf,
        /// The signature file (default: REPORT.sig next to the report).
        #[arg(long)]
        sig: Option<PathBuf>,
        /// The public key the report must be signed with (hex); without it the check only
        /// says the report is unchanged since someone signed it.
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
        /// The sample the report is about: its SHA-256 must equal the report's.
        #[arg(long)]
        sample: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
pub(crate) struct ReadArgs {
    /// Column role override, COLUMN=ROLE; COLUMN is a header name or a 1-based position.
    /// Roles: email, phone, first_name, last_name, full_name, street, house_number, address,
    /// city, postal_code, region, country, birth_date, customer_id, order_id, username,
    /// password_hash, ignore.
    #[arg(long = "map", value_name = "COLUMN=ROLE", value_parser = parse_map)]
    map: Vec<(String, FieldRole)>,
    /// Region (ISO 3166 alpha-2) for phone numbers of records without a country.
    #[arg(long, value_name = "CC")]
    default_region: Option<String>,
    /// Force the text encoding (WHATWG label, e.g. windows-1252) instead of detecting it.
    #[arg(long)]
    encoding: Option<String>,
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Add one snapshot of one internal system to the index (created if missing).
    #[command(
        after_help = "Example:\n  breachcheck index build --key company.key --index idx --system accounts --snapshot 2026-03-31 accounts.csv\n  breachcheck index build --key company.key --index idx --system orders --snapshot 2026-03-31 --map kdnr=customer_id orders.tsv.gz\n  PGPASSWORD=… breachcheck index build --key company.key --index idx --system crm --snapshot 2026-03-31 \\\n      --source postgres://reader@db.internal/crm --query 'SELECT email, full_name, phone, country FROM customers'\n\nA system's snapshots are added in date order; each stores only what changed since the previous one."
    )]
    Build {
        /// Secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// System name (accounts, orders, marketing, ...).
        #[arg(long)]
        system: String,
        /// Snapshot date of the export, YYYY-MM-DD.
        #[arg(long)]
        snapshot: String,
        /// Print the result as JSON (segment, counts, commitment) instead of a sentence.
        #[arg(long)]
        json: bool,
        /// Also evaluate the audit OPRF on every stored record's e-mail, phone and
        /// name+address and commit the resulting set (needed for `audit serve`; about
        /// 100 µs of CPU per record).
        #[arg(long)]
        audit: bool,
        /// Read the records from a live PostgreSQL database instead of (or besides) files:
        /// postgres://user@host:5432/dbname (password from PGPASSWORD; never recorded).
        #[arg(long, value_name = "URL", requires = "query")]
        source: Option<String>,
        /// The SELECT whose rows are indexed (with --source); streamed with COPY.
        #[arg(long, value_name = "SQL", requires = "source")]
        query: Option<String>,
        /// Merge the records Spark executors prepared (`index prepare`; text parts in source
        /// order with the job's `_SUCCESS` and `_LINES`) instead of reading files. The
        /// segment file is the one a build of the whole source with the read options given
        /// to `index prepare` makes (see engines/spark/README.md).
        #[arg(
            long,
            value_name = "DIR",
            conflicts_with_all = ["source", "files", "audit", "map", "default_region", "encoding"]
        )]
        prepared: Option<PathBuf>,
        /// With --prepared: the source's name, as the manifest records it.
        #[arg(long, value_name = "NAME", requires = "prepared")]
        source_name: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// Export files (any shape `inspect` reads: CSV/TSV/NDJSON/JSON/SQL/XLSX…, compressed or zipped).
        #[arg(required_unless_present_any = ["source", "prepared"])]
        files: Vec<PathBuf>,
    },
    /// Prepare records of a share of a source's lines for a build on Spark (run by the
    /// executors of `engines/spark/breachcheck_spark.py build`, merged by
    /// `index build --prepared`). Reads `LINE<TAB>BYTES` lines on stdin (1-based line of the
    /// source, the line without its `\n`), writes per line `LINE<TAB>r<TAB>BASE64` (a
    /// record), `LINE<TAB>q<TAB>REASON` (quarantined) or `LINE<TAB>s` (no record) on stdout:
    /// keyed tags and check values, never a value. Refuses a source that is not one record
    /// per line.
    #[command(
        after_help = "Example:\n  printf '2\\tana@example.es,Ana\\n' | breachcheck index prepare --key company.key --head head.csv"
    )]
    Prepare {
        /// Secret key file (a file the cluster ships to executors; never on a command line).
        #[arg(long)]
        key: PathBuf,
        /// The source's first lines, at least its first 256 KiB (whole lines): how the
        /// source is read is sniffed from them, as a build of the whole file does.
        #[arg(long, value_name = "FILE")]
        head: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Register planted canary records (same columns as a system export).
    #[command(
        after_help = "Example:\n  breachcheck index canaries --key company.key --index idx --system accounts canaries.csv"
    )]
    Canaries {
        /// Secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// System the canaries were planted in.
        #[arg(long, default_value = "unspecified")]
        system: String,
        /// Date the canaries were planted (default: today, UTC).
        #[arg(long)]
        snapshot: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// Canary file.
        file: PathBuf,
    },
    /// Systems, snapshots, record counts, rule version and commitment (never a value).
    #[command(after_help = "Example:\n  breachcheck index info --index idx --json")]
    Info {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Verify every segment checksum, Merkle root and the commitment; list leftovers of
    /// interrupted builds.
    #[command(after_help = "Example:\n  breachcheck index check --index idx")]
    Check {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
    },
    /// Bring an index written by an earlier version up to what this one writes: segments of
    /// format v4 re-encoded in v5 (what a v5 build of the same exports makes, byte for byte
    /// but for rare records a later snapshot stored again where v5 would carry them;
    /// no key and no exports needed; the records stay, the commitment changes, so publish
    /// the new one), and a page file for every segment without an intact one (so that a
    /// small verify on a cold cache reads and checks 4 KiB pages, not 64 KiB chunks; this
    /// leaves the commitment as it is). Every chunk is checked against its committed digest
    /// first.
    #[command(after_help = "Example:
  breachcheck index upgrade --index idx")]
    Upgrade {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Give every system snapshot without one its audit set (as `index build --audit` does),
    /// from its recorded sources (files re-read and checked against their SHA-256): a new
    /// commitment, to publish with `log append --index`.
    #[command(
        name = "add-audit",
        after_help = "Example:\n  breachcheck index add-audit --key company.key --index idx\n  breachcheck log append --log translog --sign-key log.sign --index idx"
    )]
    AddAudit {
        /// Secret key file (the index's; the audit OPRF key is derived from it).
        #[arg(long)]
        key: PathBuf,
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
    },
    /// Write the index's tags for other engines: Hive-partitioned Parquet
    /// (system=/snapshot=/prefix=), columns tag (first 40 bits) and record.
    #[command(
        after_help = "Example:\n  breachcheck index export --index idx --format parquet --out tags/\n  breachcheck tags --key company.key --out sample-tags.parquet sample.csv\n  duckdb -c \"SELECT count(DISTINCT s.line) FROM 'sample-tags.parquet' s JOIN read_parquet('tags/*/*/*/*.parquet', hive_partitioning=true) i USING (tag) WHERE i.system='accounts'\""
    )]
    Export {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "parquet")]
        format: ExportFormat,
        /// Output directory (must not exist; appears whole or not at all).
        #[arg(long)]
        out: PathBuf,
        /// Machine-readable summary.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the index under a new key from its recorded sources (files re-read and
    /// checked against their SHA-256, databases re-queried); no plaintext is kept.
    #[command(
        after_help = "Example:\n  breachcheck key generate --out company-2027.key\n  breachcheck index rekey --key company.key --new-key company-2027.key --index idx --out idx-2027"
    )]
    Rekey {
        /// The key the index was built with.
        #[arg(long)]
        key: PathBuf,
        /// The new key.
        #[arg(long)]
        new_key: PathBuf,
        /// Index directory to rebuild.
        #[arg(long)]
        index: PathBuf,
        /// Directory of the new index (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Check a case folder's custody log: the hash chain, and that every report it lists
    /// is unchanged.
    #[command(after_help = "Example:\n  breachcheck case verify cases/2026-11-acme-claim")]
    Verify {
        /// The case folder.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Index a known earlier breach or public directory (keyed, like the systems), so that
    /// verify can say "these lines come from breach X". Verify works without any.
    #[command(
        after_help = "Example:\n  breachcheck reference add --key company.key --index idx --name shopx-2023 --date 2023-06-01 shopx-2023.csv"
    )]
    Add {
        /// Secret key file (the index's).
        #[arg(long)]
        key: PathBuf,
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Name of the corpus (letters, digits, '-', '_', '.'), e.g. shopx-2023.
        #[arg(long)]
        name: String,
        /// When the corpus became public, YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// The corpus file (any shape `inspect` reads).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum CanaryCommand {
    /// Generate realistic canary records (e-mails on a domain you control, phones in your
    /// own range) to plant in a system, and register them in the index.
    #[command(
        after_help = "Example:\n  breachcheck canary generate --system accounts --count 25 --email-domain kundenpost-relay.de \\\n      --phone-prefix +4915790012 --out canaries.csv --key company.key --index idx\n\nPlant the rows of canaries.csv in the system; a leak containing any of them is reported first."
    )]
    Generate {
        /// System the canaries will be planted in.
        #[arg(long)]
        system: String,
        /// How many records.
        #[arg(long, default_value_t = 20)]
        count: usize,
        /// Columns to write (comma-separated): customer_id, email, first_name, last_name,
        /// full_name, phone, birth_date, country, street, postal_code, city.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "email,first_name,last_name,phone,birth_date,country"
        )]
        columns: Vec<String>,
        /// Domain whose mailboxes the company receives (canary e-mails go there).
        #[arg(long)]
        email_domain: String,
        /// Start of the company's own phone range, international form (+4915790012…).
        #[arg(long)]
        phone_prefix: Option<String>,
        /// The CSV file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Secret key file: with --index, registers the canaries at once.
        #[arg(long, requires = "index")]
        key: Option<PathBuf>,
        /// Index to register the canaries in.
        #[arg(long, requires = "key")]
        index: Option<PathBuf>,
    },
}

/// Formats of `index export`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// Apache Parquet, Hive-partitioned.
    Parquet,
}

/// `verify --help`'s tail: an example, and every class a report can carry with its meaning
/// (a test holds this list to `VerdictClass::ALL` and `EvidenceClass::STRONGEST_FIRST`).
const VERIFY_HELP: &str = "Example:
  breachcheck verify --key company.key --index idx --json report.json --md report.md sample.csv

Verdict classes (verdict.class):
  genuine       the lines are copies of one of the company's systems
  mixed         some lines are copies of the company's data, the rest made up or unrelated
  compilation   several sources merged: rows of different shapes, a known breach, or the
                company's data beside other real people's
  recycled      real people (some of them customers) with another service's data, or a
                registered earlier breach: not a copy of the company's
  scraped       public data (names, phones, places) about real people, some of them
                customers: not a copy
  fabricated    no line is the company's: made-up people, or people who are not its customers
  inconclusive  too few or unreadable lines to say; obtain more, or name the columns

Evidence classes of a line (matches.by_evidence), strongest first:
  canary             matches a planted canary on its own e-mail or two identifying fields
  internal_id        carries a system's own id, and the model takes the record for the person
  quirk_full_record  matches a record whole and reproduces a rarely used way of writing
  full_record        matches a record on every personal field it carries (at least two)
  fuzzy_record       the model puts it and one record at 99% the same person despite typos
  partial            shares some value with a record without matching it whole
  none               matches nothing

The verdict weighs every line with the source model (copies of each system, other real
people, registered breaches); the genuine fraction is the copies' share with its 95% interval.

Exit status is 0 whenever a report was written, whatever the verdict.";

#[derive(Args)]
struct VerifyArgs {
    /// Secret key file.
    #[arg(long)]
    key: PathBuf,
    /// Index directory.
    #[arg(long, required_unless_present = "candidates")]
    index: Option<PathBuf>,
    /// Score the candidates a Spark join found instead of reading an index: a directory
    /// with the export's manifest.json and the sample_tags, postings and records tables
    /// (see engines/spark/README.md). The report equals a verify against the index.
    #[arg(long, value_name = "DIR", conflicts_with = "index")]
    candidates: Option<PathBuf>,
    /// Where to write the JSON report.
    #[arg(long, value_name = "OUT.json")]
    json: PathBuf,
    /// Where to write the Markdown report.
    #[arg(long, value_name = "OUT.md")]
    md: Option<PathBuf>,
    /// Where to write the self-contained HTML report (inline SVG charts, prints well).
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Case folder: keeps a copy of every report of the case and an append-only custody log
    /// (input hash and size, index commitment, versions, operator, time); check it with
    /// `breachcheck case verify DIR`.
    #[arg(long, value_name = "DIR")]
    case: Option<PathBuf>,
    /// Who runs this, for the custody log (default: the login name).
    #[arg(long, requires = "case")]
    operator: Option<String>,
    /// Also write one CSV row per sample line: line,evidence,system,snapshot,source_file,source_row,score.
    #[arg(long, value_name = "FILE.csv")]
    matches_out: Option<PathBuf>,
    /// Sign the JSON report with this key (from `sign-key generate`): writes OUT.json.sig.
    #[arg(long, value_name = "KEYFILE")]
    sign_key: Option<PathBuf>,
    /// Write the raw text of every quarantined line to FILE (part, line, reason, raw).
    /// This file holds input values: only for the analyst who needs to see them.
    #[arg(long, value_name = "FILE")]
    quarantine_out: Option<PathBuf>,
    /// Show up to N lines per evidence class in the report as redacted shapes
    /// ("j***@g****.com", "+49 *** *****78"). Off by default: shapes keep a value's first
    /// letter and format, so share such a report as you would a sample excerpt.
    #[arg(long, value_name = "N", default_value_t = 0)]
    redacted_examples: usize,
    #[command(flatten)]
    read: ReadArgs,
    /// The leak sample.
    sample: PathBuf,
}

#[derive(Args)]
struct InspectArgs {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Write the raw text of every quarantined line to FILE (holds input values).
    #[arg(long, value_name = "FILE")]
    quarantine_out: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
    /// File to inspect.
    file: PathBuf,
}

#[derive(Args)]
struct DemoArgs {
    /// Working directory for the synthetic company (recreated if it holds an earlier demo).
    #[arg(long, default_value = "breachcheck-demo")]
    dir: PathBuf,
    /// Customers at the first snapshot.
    #[arg(long, default_value_t = 3000)]
    customers: usize,
    /// Machine-readable summary.
    #[arg(long)]
    json: bool,
}

fn parse_map(s: &str) -> std::result::Result<(String, FieldRole), String> {
    let (col, role) = s
        .rsplit_once('=')
        .ok_or_else(|| "expected COLUMN=ROLE, e.g. --map mail=email".to_owned())?;
    let role = role.parse::<FieldRole>().map_err(|e| e.to_string())?;
    if col.trim().is_empty() {
        return Err("the column before '=' is empty".into());
    }
    Ok((col.to_owned(), role))
}

impl ReadArgs {
    /// How records are read, for the manifest (so `index rekey` reads them the same way).
    /// `audit` asks for the segment's audit set, and `index rekey` repeats it.
    fn recipe(&self, query: Option<&str>, audit: bool) -> breachcheck_index::Recipe {
        breachcheck_index::Recipe::read(
            self.map
                .iter()
                .map(|(c, r)| format!("{c}={}", r.as_str()))
                .collect(),
            self.default_region.clone(),
            self.encoding.clone(),
            query.map(str::to_owned),
            audit,
        )
    }

    /// The inverse of [`ReadArgs::recipe`]; a segment without a recipe is read with none
    /// of the options.
    fn from_recipe(recipe: Option<&breachcheck_index::Recipe>) -> Result<Self> {
        let Some(r) = recipe else {
            return Ok(ReadArgs {
                map: Vec::new(),
                default_region: None,
                encoding: None,
            });
        };
        let map = r
            .map()
            .iter()
            .map(|m| parse_map(m))
            .collect::<std::result::Result<_, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(ReadArgs {
            map,
            default_region: r.default_region().map(str::to_owned),
            encoding: r.encoding().map(str::to_owned),
        })
    }

    fn options(&self) -> breachcheck_ingest::IngestOptions {
        breachcheck_ingest::IngestOptions {
            map: self.map.clone(),
            encoding: self.encoding.clone(),
        }
    }

    fn region(&self) -> Result<Option<breachcheck_normalize::country::Region>> {
        self.default_region
            .as_deref()
            .map(|r| {
                breachcheck_normalize::country::region(&r.to_ascii_uppercase()).with_context(|| {
                    "--default-region takes an ISO 3166 alpha-2 code such as DE or US"
                })
            })
            .transpose()
    }
}

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BREACHCHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let cli = Cli::parse();
    let result = run(cli);
    if std::env::var_os(bench::PEAK_RSS_ENV).is_some() {
        bench::print_own_peak_rss();
    }
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Key(KeyCommand::Generate { out }) => {
            keyfile::generate(&out)?;
            outln!(
                "wrote a new key to {} (mode 0600); keep it secret and backed up",
                out.display()
            );
            Ok(())
        }
        Command::Index(cmd) => index_command(cmd),
        Command::Verify(a) => verify_cmd::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve_cmd::run(a),
        Command::Selfcheck(c) => selfcheck_cmd::run(c),
        Command::SignKey(SignKeyCommand::Generate { out }) => {
            keyfile::generate(&out)?;
            let seed = keyfile::read_signing_seed(&out)?;
            outln!(
                "wrote a new ed25519 signing key to {} (mode 0600; it can sign reports and case heads, a transparency log, or audit hellos and transcripts); its public key:",
                out.display()
            );
            outln!("{}", breachcheck_report::sign::public_key(&seed));
            Ok(())
        }
        Command::Report(ReportCommand::Verify {
            report,
            sig,
            public_key,
            sample,
        }) => {
            if let Some(k) = &public_key {
                if breachcheck_core::unhex::<32>(k.trim()).is_none() {
                    anyhow::bail!(
                        "--public-key takes the 64 hex digits that `sign-key generate` printed"
                    );
                }
            }
            let bytes = std::fs::read(&report)
                .with_context(|| format!("cannot read {}", report.display()))?;
            let sig_file = sig.unwrap_or_else(|| sig_path(&report));
            let signature: breachcheck_report::sign::Signature = serde_json::from_slice(
                &std::fs::read(&sig_file)
                    .with_context(|| format!("cannot read signature {}", sig_file.display()))?,
            )
            .with_context(|| {
                format!("{} is not a breachcheck signature file", sig_file.display())
            })?;
            breachcheck_report::sign::verify(&bytes, &signature, public_key.as_deref())
                .with_context(|| format!("{} fails its signature check", report.display()))?;
            if let Some(sample) = sample {
                let parsed = breachcheck_report::Report::from_json(&bytes)
                    .with_context(|| format!("{} is not a breachcheck report", report.display()))?;
                let want = parsed.sample.sha256;
                let got = breachcheck_ingest::sha256_file(&sample)
                    .with_context(|| format!("cannot read {}", sample.display()))?;
                if want != got {
                    anyhow::bail!(
                        "{} is not the sample this report is about (SHA-256 differs)",
                        sample.display()
                    );
                }
            }
            let who = if public_key.is_some() {
                "the expected key".to_owned()
            } else {
                format!(
                    "key {} (compare it with the signer's published key)",
                    signature.public_key
                )
            };
            outln!(
                "ok: {} is unchanged since it was signed by {who}",
                report.display()
            );
            Ok(())
        }
        Command::Inspect(a) => results::inspect(
            &a.file,
            &a.read.options(),
            a.json,
            a.quarantine_out.as_deref(),
        ),
        Command::Demo(a) => demo::run(&a.dir, a.customers, a.json),
        Command::Normalize {
            role,
            country,
            default_region,
        } => normalize_stdin(role, country.as_deref(), default_region.as_deref()),
        Command::Case(CaseCommand::Verify { dir }) => {
            let c = breachcheck_report::custody::check(&dir)?;
            outln!(
                "ok: {} custody entries in {}, chain intact up to its {} head, every listed file unchanged, no unlisted report",
                c.entries.len(),
                dir.display(),
                if c.signed { "signed" } else { "unsigned" }
            );
            if !c.interrupted.is_empty() {
                eprintln!(
                    "warning: {} file(s) of a run interrupted before its entry (removed by the next verify --case): {}",
                    c.interrupted.len(),
                    c.interrupted.join(", ")
                );
            }
            Ok(())
        }
        Command::Log(cmd) => translog::run(cmd),
        Command::Audit(cmd) => audit::run_command(cmd),
        Command::Reference(ReferenceCommand::Add {
            key,
            index,
            name,
            date,
            read,
            file,
        }) => {
            let date = date.unwrap_or_else(time::today);
            let s = register(
                &key,
                &index,
                &name,
                &date,
                breachcheck_index::SegmentKind::Reference,
                file,
                &read,
            )?;
            outln!(
                "registered reference corpus {name} ({date}): {} records",
                s.records
            );
            Ok(())
        }
        Command::Canary(CanaryCommand::Generate {
            system,
            count,
            columns,
            email_domain,
            phone_prefix,
            out,
            key,
            index,
        }) => {
            breachcheck_index::validate_system(&system)?;
            // The key is read before anything is written.
            let key = key.as_deref().map(keyfile::read).transpose()?;
            canary::generate(
                &canary::Spec {
                    count,
                    columns: &columns,
                    email_domain: &email_domain,
                    phone_prefix: phone_prefix.as_deref(),
                },
                &out,
            )?;
            if let (Some(key), Some(index)) = (key, index) {
                let read = ReadArgs {
                    map: Vec::new(),
                    default_region: None,
                    encoding: None,
                };
                let registered = register_with(
                    &key,
                    &index,
                    &system,
                    &time::today(),
                    breachcheck_index::SegmentKind::Canary,
                    out.clone(),
                    &read,
                );
                match registered {
                    Ok(s) => {
                        outln!(
                            "wrote {count} canary records to {} (plant them in {system})",
                            out.display()
                        );
                        outln!(
                            "registered {} canary records planted in {system}",
                            s.records
                        );
                    }
                    Err(e) => {
                        // Unregistered canaries would be planted but never recognised.
                        let _ = std::fs::remove_file(&out);
                        return Err(e.context(format!(
                            "the canaries could not be registered; {} was not kept",
                            out.display()
                        )));
                    }
                }
            } else {
                outln!(
                    "wrote {count} canary records to {} (plant them in {system})",
                    out.display()
                );
            }
            Ok(())
        }
        Command::Tags {
            key,
            out,
            manifest,
            read,
            sample,
        } => {
            let key = keyfile::read(&key)?;
            let manifest = manifest
                .as_deref()
                .map(breachcheck_index::Manifest::load_checked)
                .transpose()?;
            if let Some(m) = &manifest {
                m.require_key(&key)?;
            }
            let rows = results::sample_tags(
                &key,
                &sample,
                &read.options(),
                read.region()?,
                manifest.as_ref(),
                &out,
                true,
            )?;
            outln!("wrote {rows} tags to {}", out.display());
            Ok(())
        }
        Command::Bench(a) => bench::run(&a),
    }
}

/// Adds one file as a canary set or reference corpus (no snapshot chain, no rebuild check).
fn register(
    key: &std::path::Path,
    index: &std::path::Path,
    name: &str,
    date: &str,
    kind: breachcheck_index::SegmentKind,
    file: PathBuf,
    read: &ReadArgs,
) -> Result<breachcheck_pipeline::BuildSummary> {
    let key = keyfile::read(key)?;
    register_with(&key, index, name, date, kind, file, read)
}

/// [`register`] with a key already read.
fn register_with(
    key: &breachcheck_core::SecretKey,
    index: &std::path::Path,
    name: &str,
    date: &str,
    kind: breachcheck_index::SegmentKind,
    file: PathBuf,
    read: &ReadArgs,
) -> Result<breachcheck_pipeline::BuildSummary> {
    Ok(IndexJob::new(key, index, name, date)
        .kind(kind)
        .inputs(vec![Input::File(file)])
        .options(read.options())
        .region(read.region()?)
        .recipe(read.recipe(None, false))
        .progress(&progress::Bar::new(true))
        .run()?)
}

/// `index rekey`: every segment rebuilt, in manifest order, from its recorded sources under
/// the new key, into a new directory; the old index stays as it was.
fn rekey(
    old_key: &std::path::Path,
    new_key: &std::path::Path,
    index: &std::path::Path,
    out: &std::path::Path,
) -> Result<()> {
    let old = keyfile::read(old_key)?;
    let new = keyfile::read(new_key)?;
    let idx = breachcheck_index::Index::open(index)?;
    idx.require_key(&old)?;
    if old.fingerprint() == new.fingerprint() {
        anyhow::bail!("the new key is the key the index already has; generate a new one with `breachcheck key generate`");
    }
    if out.exists() {
        anyhow::bail!("{} already exists; rekey writes a new index", out.display());
    }
    let manifest = idx.manifest().clone();
    drop(idx);
    // Built under a temporary name beside `out` and renamed when whole: a failure or a
    // kill leaves no half index at `out`.
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            out.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ))
        .suffix(".bctmp")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a directory beside {}", out.display()))?;
    let building = work.path().join("index");
    for seg in &manifest.segments {
        let read = ReadArgs::from_recipe(seg.recipe.as_ref())?;
        let inputs = Input::recorded(seg)?;
        let expected: Vec<String> = seg.sources.iter().map(|s| s.sha256.clone()).collect();
        let s = IndexJob::new(&new, &building, &seg.system, &seg.snapshot)
            .kind(seg.kind)
            .inputs(inputs)
            .options(read.options())
            .region(read.region()?)
            .recipe(seg.recipe.clone())
            .expected(Some(expected))
            .progress(&progress::Bar::new(true))
            .run()?;
        outln!(
            "rebuilt {} @ {}: {} records",
            seg.system,
            seg.snapshot,
            s.records
        );
    }
    breachcheck_index::Index::open(&building)?.check()?;
    std::fs::rename(&building, out)
        .with_context(|| format!("cannot put the new index in place at {}", out.display()))?;
    let rebuilt = breachcheck_index::Index::open(out)?;
    outln!(
        "ok: {} segments under key {}; new commitment {}",
        rebuilt.manifest().segments.len(),
        new.fingerprint(),
        rebuilt.manifest().commitment.root
    );
    Ok(())
}

fn index_command(cmd: IndexCommand) -> Result<()> {
    match cmd {
        IndexCommand::Build {
            key,
            index,
            system,
            snapshot,
            json,
            audit,
            source,
            query,
            prepared,
            source_name,
            read,
            files,
        } => {
            let key = keyfile::read(&key)?;
            if let Some(dir) = prepared {
                let name = source_name.unwrap_or_else(|| {
                    dir.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "prepared".into())
                });
                let (lines, parts) = prepared::read_parts(&dir)?;
                let s = breachcheck_pipeline::build_prepared(
                    &index, &key, &system, &snapshot, &name, lines, parts,
                )?;
                return results::report_build(&s, &index, &system, &snapshot, json);
            }
            let mut inputs: Vec<Input> = files.into_iter().map(Input::File).collect();
            if let (Some(url), Some(query)) = (source, query.as_ref()) {
                inputs.push(Input::Postgres {
                    url,
                    query: query.clone(),
                });
            }
            let s = IndexJob::new(&key, &index, &system, &snapshot)
                .inputs(inputs)
                .options(read.options())
                .region(read.region()?)
                .recipe(read.recipe(query.as_deref(), audit))
                .progress(&progress::Bar::new(!json))
                .run()?;
            results::report_build(&s, &index, &system, &snapshot, json)
        }
        IndexCommand::Prepare { key, head, read } => {
            let key = keyfile::read(&key)?;
            prepared::prepare_stdin(&key, &head, &read.options(), read.region()?)
        }
        IndexCommand::Canaries {
            key,
            index,
            system,
            snapshot,
            read,
            file,
        } => {
            let snapshot = snapshot.unwrap_or_else(time::today);
            let s = register(
                &key,
                &index,
                &system,
                &snapshot,
                breachcheck_index::SegmentKind::Canary,
                file,
                &read,
            )?;
            outln!(
                "registered {} canary records planted in {system}",
                s.records
            );
            Ok(())
        }
        IndexCommand::Info { index, json } => results::info(&index, json),
        IndexCommand::Export {
            index,
            format: ExportFormat::Parquet,
            out,
            json,
        } => {
            let idx = breachcheck_index::Index::open(&index)?;
            let start = std::time::Instant::now();
            let s = breachcheck_export::export_index(&idx, &out)?;
            if json {
                let parts: Vec<_> = s
                    .partitions
                    .iter()
                    .map(|(sys, snap, rows)| serde_json::json!({"system": sys, "snapshot": snap, "rows": rows}))
                    .collect();
                let v = serde_json::json!({
                    "schema": "breachcheck.index-export/v1",
                    "format": "parquet",
                    "files": s.files,
                    "rows": s.rows,
                    "partitions": parts,
                    "seconds": start.elapsed().as_secs_f64(),
                });
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!(
                    "exported {} tags of {} snapshots in {} Parquet files to {} ({:.1}s)",
                    s.rows,
                    s.partitions.len(),
                    s.files,
                    out.display(),
                    start.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        IndexCommand::Rekey {
            key,
            new_key,
            index,
            out,
        } => rekey(&key, &new_key, &index, &out),
        IndexCommand::Check { index } => {
            let idx = breachcheck_index::Index::open(&index)?;
            let n = idx.check()?;
            outln!(
                "ok: {n} segments verified, commitment {}",
                idx.manifest().commitment.root
            );
            let left = idx.leftovers();
            if !left.is_empty() {
                outln!(
                    "leftovers of an interrupted build (nothing reads them; the next build removes them): {}",
                    left.iter()
                        .map(|p| p.strip_prefix(&index).unwrap_or(p).display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(())
        }
        IndexCommand::Upgrade { index, json } => {
            let up = breachcheck_index::upgrade(&index)?;
            if json {
                outln!(
                    "{}",
                    serde_json::json!({
                        "reencoded": up.reencoded.iter().map(|(from, to)| serde_json::json!({"from": from, "to": to})).collect::<Vec<_>>(),
                        "commitment_before": up.commitment.as_ref().map(|(b, _)| &b.root),
                        "commitment": up.commitment.as_ref().map(|(_, a)| &a.root),
                        "page_files_written": up.page_files_written,
                        "page_files_intact": up.page_files_intact,
                    })
                );
                return Ok(());
            }
            if let Some((before, after)) = &up.commitment {
                outln!(
                    "re-encoded {} segment(s) in this breachcheck's format ({}); the records are the same, the index commitment is new: {} (was {}); publish it with `breachcheck log append --index`",
                    up.reencoded.len(),
                    up.reencoded
                        .iter()
                        .map(|(from, to)| format!("{from} -> {to}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    after.root,
                    before.root
                );
            }
            if up.page_files_written.is_empty() && up.reencoded.is_empty() {
                outln!(
                    "up to date: every segment's page file is intact ({}); nothing written",
                    up.page_files_intact
                );
            } else if up.page_files_written.is_empty() {
                outln!(
                    "every segment's page file is intact ({})",
                    up.page_files_intact
                );
            } else {
                outln!(
                    "wrote the page files of {} segment(s) ({}); {} were intact; page files change nothing the commitment binds",
                    up.page_files_written.len(),
                    up.page_files_written.join(", "),
                    up.page_files_intact
                );
            }
            Ok(())
        }
        IndexCommand::AddAudit { key, index } => crate::add_audit::run(&key, &index),
    }
}

fn normalize_stdin(
    role: FieldRole,
    country: Option<&str>,
    default_region: Option<&str>,
) -> Result<()> {
    use std::io::{BufRead, Write};
    let region = match default_region {
        Some(r) => Some(
            breachcheck_normalize::country::region(&r.to_ascii_uppercase())
                .context("--default-region takes an ISO 3166 alpha-2 code such as DE or US")?,
        ),
        None => None,
    };
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.context("stdin is not UTF-8 text")?;
        match breachcheck_normalize::canonical_value(role, &line, country, region) {
            Ok(v) => writeln!(out, "{v}")?,
            Err(e) => writeln!(out, "!invalid: {e}")?,
        }
    }
    out.flush()?;
    Ok(())
}

/// The detached signature file next to a report: `REPORT.json.sig`.
fn sig_path(report: &std::path::Path) -> PathBuf {
    let mut s = report.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

/// Exits on a stdout write error: silently with success on a closed pipe, else with a message.
pub(crate) fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(1);
}

fn print_verdict(r: &breachcheck_report::Report) {
    let v = &r.verdict;
    let gf = &v.genuine_fraction;
    let source = match (&v.system, &v.snapshot) {
        (Some(s), Some(t)) => format!(" — source {s} @ {t}"),
        (Some(s), None) => format!(" — source {s}"),
        _ => String::new(),
    };
    outln!(
        "verdict: {}{source}; genuine fraction {:.1}% (95% CI {:.1}–{:.1}%) of {} records; {} quarantined",
        v.class.as_str(),
        100.0 * gf.estimate,
        100.0 * gf.ci95[0],
        100.0 * gf.ci95[1],
        r.sample.records_parsed,
        r.sample.quarantined
    );
}
