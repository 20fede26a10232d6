//! The scenario matrix: companies and leak-sample stories of known truth, every value drawn
//! from a seed, to measure how often a verdict is right.
//!
//! A [`Company`] comes from [`CompanyParams::draw`]: its size, three snapshot dates, two to
//! four systems with their own columns and their own habits of writing values (phone,
//! e-mail, country and date formats, names split or whole, addresses split or on one
//! line), customer- and order-id formats (some dense, where made-up ids coincide with real
//! ones), and about ten canary records planted in one system on the company's own mail
//! domain and number range. A [`Story`] is a sample someone could show the company — a
//! genuine copy of a system at a snapshot, a copy with the canaries in it, genuine lines
//! hidden among made-up ones, fabricated people, another service's dump, a compilation,
//! a scraped directory, a combolist, or a tiny sample of any of these — with the [`Truth`]
//! a verdict should find. People who are not the company's customers come from a
//! Faker-like generator that does not know the customer base (mostly common US names,
//! the rest international), so "shares people with the company" is never "shares the
//! generator".
//!
//! ```
//! use breachcheck_synth::scenario::{Company, CompanyParams, StoryKind, StoryOptions};
//! let mut params = CompanyParams::draw(3);
//! params.customers = 300;
//! let company = Company::generate(params);
//! let opts = StoryOptions { min_lines: 100, max_lines: 200 };
//! let story = company.story_of(StoryKind::Mixed, 1, &opts);
//! assert_eq!(story.truth.class, "mixed");
//! assert!(story.truth.genuine_fraction > 0.0 && story.truth.genuine_fraction < 1.0);
//! ```
use crate::people::{
    digits, format_phone, letters, random_phone, unique_digits, Contact, Person, Population,
    COUNTRIES,
};
use crate::Table;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rlibphonenumber::{PhoneNumberFormat, PHONE_NUMBER_UTIL};
use std::io::Write;
use std::path::Path;

/// SplitMix64's finalizer: a well-mixed value of `x`, for draws that must be stable per
/// person (which systems hold them) whatever order people are visited in.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mix2(a: u64, b: u64) -> u64 {
    mix(mix(a) ^ b.rotate_left(23))
}

fn hex(r: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[r.random_range(0..16)]))
        .collect()
}

fn pick<T: Copy>(r: &mut StdRng, xs: &[T], or: T) -> T {
    xs.choose(r).copied().unwrap_or(or)
}

/// `n` between `lo` and `hi`, evenly on a log scale: as many samples of 100 to 1,000 lines
/// as of 10,000 to 100,000.
fn log_uniform(r: &mut StdRng, lo: usize, hi: usize) -> usize {
    let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1)) as f64);
    (lo.ln() + r.random::<f64>() * (hi.ln() - lo.ln()))
        .exp()
        .round()
        .clamp(lo, hi) as usize
}

// ---------------------------------------------------------------------------------------
// Company parameters
// ---------------------------------------------------------------------------------------

/// How a company numbers its customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdFormat {
    /// Dense sequential numbers (`100000 + n`): a made-up id in range is someone's.
    Sequential,
    /// Dense, a letter and zero-padded digits (`C0012345`).
    Prefixed {
        /// The leading letter.
        letter: char,
        /// Digits after it.
        width: usize,
    },
    /// Sparse: the serial scrambled over nine digits, so made-up ids rarely hit one.
    Scrambled,
    /// UUID-like hex: made-up ids never hit one.
    Uuid,
}

impl IdFormat {
    fn render(self, n: u64, salt: u64) -> String {
        match self {
            IdFormat::Sequential => (100_000 + n).to_string(),
            IdFormat::Prefixed { letter, width } => format!("{letter}{:0width$}", n + 1),
            IdFormat::Scrambled => unique_digits(n, 9),
            IdFormat::Uuid => {
                let (a, b) = (mix2(salt, n), mix2(salt ^ 0x55, n));
                format!(
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    0x8000 | ((b >> 48) & 0x3fff),
                    b & 0xffff_ffff_ffff
                )
            }
        }
    }

    /// A made-up id of this format, as a forger who saw a few real ones writes it: in a
    /// dense space it is often a real customer's.
    fn forge(self, r: &mut StdRng, population: u64) -> String {
        let n = r.random_range(0..population.max(10) * 13 / 10);
        match self {
            IdFormat::Sequential | IdFormat::Prefixed { .. } => self.render(n, 0),
            IdFormat::Scrambled => format!("{}{}", r.random_range(1..10), digits(r, 8)),
            IdFormat::Uuid => {
                format!(
                    "{}-{}-4{}-{}-{}",
                    hex(r, 8),
                    hex(r, 4),
                    hex(r, 3),
                    hex(r, 4),
                    hex(r, 12)
                )
            }
        }
    }

    /// Name in descriptions.
    pub fn as_str(self) -> &'static str {
        match self {
            IdFormat::Sequential => "dense sequential",
            IdFormat::Prefixed { .. } => "dense prefixed",
            IdFormat::Scrambled => "sparse scrambled",
            IdFormat::Uuid => "uuid",
        }
    }
}

/// How a company numbers its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderIdFormat {
    /// Dense numbers from 50,000,000.
    Sequential,
    /// Dense, `O-00012345`.
    Dashed,
    /// Sparse: ten scrambled digits.
    Scrambled,
    /// Twelve hex digits.
    Hex,
}

impl OrderIdFormat {
    fn render(self, n: u64, salt: u64) -> String {
        match self {
            OrderIdFormat::Sequential => (50_000_000 + n).to_string(),
            OrderIdFormat::Dashed => format!("O-{:08}", n),
            OrderIdFormat::Scrambled => unique_digits(n * 7 + 3, 10),
            OrderIdFormat::Hex => format!("{:012x}", mix2(salt, n) & 0xffff_ffff_ffff),
        }
    }

    fn forge(self, r: &mut StdRng, population: u64) -> String {
        let n = r.random_range(0..population.max(10) * 13 / 10);
        match self {
            OrderIdFormat::Sequential | OrderIdFormat::Dashed => self.render(n, 0),
            OrderIdFormat::Scrambled => format!("{}{}", r.random_range(1..10), digits(r, 9)),
            OrderIdFormat::Hex => hex(r, 12),
        }
    }
}

/// How a system writes phone numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneStyle {
    /// `+4915123456789`.
    E164,
    /// `+49 1512 3456789`.
    International,
    /// The country's own way, without the country code: `01512 3456789`.
    National,
    /// International digits only, no plus: `4915123456789`.
    Digits,
}

impl PhoneStyle {
    fn render(self, e164: &str) -> String {
        match self {
            PhoneStyle::E164 => e164.to_owned(),
            PhoneStyle::International => format_phone(e164, PhoneNumberFormat::International),
            PhoneStyle::National => format_phone(e164, PhoneNumberFormat::National),
            PhoneStyle::Digits => e164.trim_start_matches('+').to_owned(),
        }
    }
}

/// How a system writes e-mail addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailStyle {
    /// As the customer typed it (sometimes with a capital).
    AsTyped,
    /// Lower-cased.
    Lower,
}

/// How a system writes countries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountryStyle {
    /// `DE`.
    Iso2,
    /// `Germany`.
    Name,
    /// `DEU`.
    Iso3,
}

/// How a system writes dates of birth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateStyle {
    /// `1985-03-17`.
    Iso,
    /// `17.03.1985` or `17/03/1985`.
    DayFirst {
        /// `.` or `/`.
        separator: char,
    },
    /// `03/17/1985`.
    MonthFirst,
}

impl DateStyle {
    fn render(self, (y, m, d): (u32, u32, u32)) -> String {
        match self {
            DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
            DateStyle::DayFirst { separator } => format!("{d:02}{separator}{m:02}{separator}{y}"),
            DateStyle::MonthFirst => format!("{m:02}/{d:02}/{y}"),
        }
    }
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// The company's customer id.
    CustomerId,
    /// The company's order id.
    OrderId,
    /// E-mail.
    Email,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Whole name in one column.
    FullName,
    /// Phone.
    Phone,
    /// Date of birth.
    BirthDate,
    /// Country.
    Country,
    /// Street name without the number.
    Street,
    /// House number.
    HouseNumber,
    /// Street and house number on one line.
    Address,
    /// Postal code.
    PostalCode,
    /// City.
    City,
    /// Marketing consent (yes/no).
    Consent,
    /// When the account was made.
    CreatedAt,
}

impl ColumnKind {
    /// Header names systems and sellers use for the column; all are names ingest knows.
    fn header_names(self) -> &'static [&'static str] {
        match self {
            ColumnKind::CustomerId => &[
                "customer_id",
                "cust_id",
                "client_id",
                "customer_no",
                "kundennr",
                "account_id",
                "member_id",
            ],
            ColumnKind::OrderId => &[
                "order_id",
                "order_no",
                "order_number",
                "bestellnummer",
                "invoice_id",
            ],
            ColumnKind::Email => &["email", "e_mail", "mail", "email_address", "emailadresse"],
            ColumnKind::FirstName => &["first_name", "firstname", "given_name", "vorname", "fname"],
            ColumnKind::LastName => &[
                "last_name",
                "lastname",
                "surname",
                "nachname",
                "family_name",
            ],
            ColumnKind::FullName => &[
                "name",
                "full_name",
                "customer_name",
                "contact_name",
                "display_name",
            ],
            ColumnKind::Phone => &[
                "phone",
                "phone_number",
                "tel",
                "mobile",
                "telefon",
                "msisdn",
            ],
            ColumnKind::BirthDate => &["birth_date", "dob", "date_of_birth", "birthday"],
            ColumnKind::Country => &["country", "country_code", "land", "pays"],
            ColumnKind::Street => &["street", "street_name", "strasse"],
            ColumnKind::HouseNumber => &["house_number", "hnr", "street_number"],
            ColumnKind::Address => &["address", "street_address", "address1", "shipping_address"],
            ColumnKind::PostalCode => &["postal_code", "zip", "postcode", "plz", "zipcode"],
            ColumnKind::City => &["city", "town", "ort", "ville"],
            ColumnKind::Consent => &["consent", "opt_in", "newsletter_optin"],
            ColumnKind::CreatedAt => &["created_at", "registered", "signup_date", "created"],
        }
    }

    fn is_id(self) -> bool {
        matches!(self, ColumnKind::CustomerId | ColumnKind::OrderId)
    }

    fn is_name(self) -> bool {
        matches!(
            self,
            ColumnKind::FirstName | ColumnKind::LastName | ColumnKind::FullName
        )
    }

    /// Columns that say nothing about who a line is.
    fn is_filler(self) -> bool {
        matches!(self, ColumnKind::Consent | ColumnKind::CreatedAt)
    }
}

/// A column of a system's export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// What it holds.
    pub kind: ColumnKind,
    /// Its header name.
    pub header: String,
}

/// How a sample or an export is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// Delimited text, `"` quoting where needed.
    Delimited {
        /// `,`, `;`, tab, `|` or `:`.
        delimiter: u8,
        /// Whether the first line names the columns.
        header: bool,
    },
    /// One JSON object per line.
    Ndjson,
    /// A MySQL dump: `INSERT INTO … VALUES (…),(…);`.
    MysqlInsert {
        /// Table name.
        table: String,
        /// Whether a `CREATE TABLE` names the columns first (without it the values alone
        /// say what the columns are).
        create_table: bool,
    },
}

impl SampleFormat {
    /// File name extension.
    pub fn extension(&self) -> &'static str {
        match self {
            SampleFormat::Delimited {
                delimiter: b',' | b';',
                ..
            } => "csv",
            SampleFormat::Delimited {
                delimiter: b'\t', ..
            } => "tsv",
            SampleFormat::Delimited { .. } => "txt",
            SampleFormat::Ndjson => "ndjson",
            SampleFormat::MysqlInsert { .. } => "sql",
        }
    }

    /// Short description, e.g. `csv ';' with header`.
    pub fn describe(&self) -> String {
        match self {
            SampleFormat::Delimited { delimiter, header } => format!(
                "{} {}",
                match delimiter {
                    b'\t' => "tab".to_owned(),
                    d => format!("'{}'", *d as char),
                },
                if *header { "with header" } else { "no header" }
            ),
            SampleFormat::Ndjson => "ndjson".into(),
            SampleFormat::MysqlInsert { create_table, .. } => format!(
                "mysql insert{}",
                if *create_table {
                    " with create table"
                } else {
                    ", no column names"
                }
            ),
        }
    }

    /// A format a seller might post a sample in: mostly delimited, some NDJSON and SQL
    /// dumps; a header four times in five.
    fn draw(r: &mut StdRng) -> Self {
        let header = r.random_bool(0.8);
        match r.random_range(0..10) {
            0..=2 => SampleFormat::Delimited {
                delimiter: b',',
                header,
            },
            3 => SampleFormat::Delimited {
                delimiter: b';',
                header,
            },
            4 | 5 => SampleFormat::Delimited {
                delimiter: b'\t',
                header,
            },
            6 => SampleFormat::Delimited {
                delimiter: b'|',
                header,
            },
            7 | 8 => SampleFormat::Ndjson,
            _ => SampleFormat::MysqlInsert {
                table: pick(
                    r,
                    &["users", "customers", "members", "clients", "export"],
                    "t",
                )
                .to_owned(),
                create_table: header,
            },
        }
    }
}

/// One system of a company: what it stores, about whom, and how it writes it.
#[derive(Clone, Debug)]
pub struct SystemParams {
    /// Name (as indexed).
    pub name: String,
    /// Columns of its export, in order.
    pub columns: Vec<Column>,
    /// Share of customers it holds, per mille (the first system holds everyone).
    pub share_permille: u32,
    /// How its export is written.
    pub format: SampleFormat,
    /// Phone habit.
    pub phone: PhoneStyle,
    /// E-mail habit.
    pub email: EmailStyle,
    /// Country habit.
    pub country: CountryStyle,
    /// Birth-date habit.
    pub date: DateStyle,
}

impl SystemParams {
    fn has(&self, kind: ColumnKind) -> bool {
        self.columns.iter().any(|c| c.kind == kind)
    }
}

/// Everything that makes one company differ from another, drawn from a seed.
#[derive(Clone, Debug)]
pub struct CompanyParams {
    /// The seed everything comes from.
    pub seed: u64,
    /// Made-up company name (also in its mail domain).
    pub name: String,
    /// Customers at the first snapshot (about 10% join, 3% leave per snapshot).
    pub customers: usize,
    /// Snapshot dates, oldest first (`YYYY-MM-DD`).
    pub snapshots: [String; 3],
    /// Systems; the first holds every customer.
    pub systems: Vec<SystemParams>,
    /// Customer-id format.
    pub customer_ids: IdFormat,
    /// Order-id format.
    pub order_ids: OrderIdFormat,
    /// The company's own mail domain (canary mailboxes).
    pub mail_domain: String,
    /// Start of the company's own phone-number range (E.164; canary phones).
    pub phone_range: String,
    /// Country of that range (ISO alpha-2).
    pub home_country: &'static str,
    /// Index of the system the canaries are planted in.
    pub canary_system: usize,
    /// Number of canary records.
    pub canaries: usize,
}

const NAME_PARTS: &[&str] = &[
    "nord", "wind", "kestrel", "alba", "vero", "tanto", "lumen", "brisa", "oak", "mira", "kora",
    "zento", "fjord", "sola", "pico", "vanta", "ember", "quill",
];

const SYSTEM_NAMES: [&[&str]; 5] = [
    &["accounts", "customers", "users", "members"],
    &["orders", "shop", "webshop", "billing"],
    &["marketing", "newsletter", "mailing", "campaigns"],
    &["support", "helpdesk", "service"],
    &["loyalty", "rewards", "club"],
];

fn last_day(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

impl CompanyParams {
    /// A company drawn from `seed`: 10k to 1M customers (log-uniform; set
    /// [`CompanyParams::customers`] to cap it), snapshots at the ends of months one, three
    /// or six months apart, two to four systems.
    pub fn draw(seed: u64) -> Self {
        let mut r = StdRng::seed_from_u64(mix2(seed, 0xc0_4a41));
        let name = format!(
            "{}{}",
            pick(&mut r, NAME_PARTS, "nord"),
            pick(&mut r, NAME_PARTS, "wind")
        );
        let customers = log_uniform(&mut r, 10_000, 1_000_000);
        let (year, month) = (r.random_range(2019..2026u32), r.random_range(1..13u32));
        let step = pick(&mut r, &[1u32, 3, 3, 3, 6], 3);
        let snapshots = [0u32, 1, 2].map(|k| {
            let m0 = month - 1 + k * step;
            let (y, m) = (year + m0 / 12, m0 % 12 + 1);
            format!("{y:04}-{m:02}-{:02}", last_day(y, m))
        });
        let customer_ids = match r.random_range(0..4) {
            0 => IdFormat::Sequential,
            1 => IdFormat::Prefixed {
                letter: pick(&mut r, &['C', 'K', 'A', 'M'], 'C'),
                width: r.random_range(7..9),
            },
            2 => IdFormat::Scrambled,
            _ => IdFormat::Uuid,
        };
        let order_ids = match r.random_range(0..4) {
            0 => OrderIdFormat::Sequential,
            1 => OrderIdFormat::Dashed,
            2 => OrderIdFormat::Scrambled,
            _ => OrderIdFormat::Hex,
        };
        let mut templates = vec![1usize, 2, 3, 4];
        templates.shuffle(&mut r);
        templates.truncate(r.random_range(1..4));
        templates.insert(0, 0);
        let systems: Vec<SystemParams> =
            templates.iter().map(|t| draw_system(&mut r, *t)).collect();
        let tld = pick(&mut r, &["com", "de", "eu", "co.uk", "fr", "net"], "com");
        let mail_domain = match r.random_range(0..3) {
            0 => format!("mail.{name}.{tld}"),
            1 => format!("{name}-relay.{tld}"),
            _ => format!("kunden.{name}.{tld}"),
        };
        let home = pick(
            &mut r,
            &["DE", "GB", "FR", "ES", "IT", "US", "PL", "BR"],
            "DE",
        );
        let phone = random_phone(&mut r, home);
        let phone_range = phone[..phone.len().saturating_sub(4).max(4)].to_owned();
        let with_email: Vec<usize> = (0..systems.len())
            .filter(|i| systems[*i].has(ColumnKind::Email))
            .collect();
        let canary_system = pick(&mut r, &with_email, 0);
        CompanyParams {
            seed,
            name,
            customers,
            snapshots,
            systems,
            customer_ids,
            order_ids,
            mail_domain,
            phone_range,
            home_country: home,
            canary_system,
            canaries: r.random_range(8..13),
        }
    }

    /// One line per system: name, share, columns, format and habits (no values).
    pub fn describe(&self) -> Vec<String> {
        self.systems
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "{} ({}%{}): {} as {}; phone {:?}, email {:?}, country {:?}, date {:?}",
                    s.name,
                    s.share_permille / 10,
                    if i == self.canary_system {
                        ", canaries"
                    } else {
                        ""
                    },
                    s.columns
                        .iter()
                        .map(|c| c.header.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    s.format.describe(),
                    s.phone,
                    s.email,
                    s.country,
                    s.date
                )
            })
            .collect()
    }
}

/// A system of template `t` (0 accounts, 1 orders, 2 marketing, 3 support, 4 loyalty)
/// with its columns and habits drawn.
fn draw_system(r: &mut StdRng, t: usize) -> SystemParams {
    use ColumnKind::*;
    let split_names = r.random_bool(0.5);
    let names: &[ColumnKind] = if split_names {
        &[FirstName, LastName]
    } else {
        &[FullName]
    };
    let address: &[ColumnKind] = if r.random_bool(0.5) {
        &[Street, HouseNumber]
    } else {
        &[Address]
    };
    let mut kinds: Vec<ColumnKind> = Vec::new();
    match t {
        0 => {
            kinds.push(CustomerId);
            kinds.push(Email);
            kinds.extend(names);
            kinds.push(Phone);
            if r.random_bool(0.7) {
                kinds.push(BirthDate);
            }
            kinds.push(Country);
            if r.random_bool(0.4) {
                kinds.push(CreatedAt);
            }
        }
        1 => {
            kinds.extend([OrderId, CustomerId]);
            kinds.extend(names);
            kinds.extend(address);
            kinds.extend([PostalCode, City, Country]);
            if r.random_bool(0.6) {
                kinds.push(Phone);
            }
        }
        2 => {
            kinds.push(Email);
            kinds.extend(names);
            kinds.push(Country);
            kinds.push(Consent);
        }
        3 => {
            if r.random_bool(0.6) {
                kinds.push(CustomerId);
            }
            kinds.extend([Email, Phone, FullName]);
        }
        _ => {
            kinds.push(CustomerId);
            kinds.extend(names);
            kinds.push(BirthDate);
            if r.random_bool(0.6) {
                kinds.push(Email);
            }
            kinds.extend([PostalCode, City]);
        }
    }
    // National numbers only beside a country column: without one even the company could
    // not tell which country's they are.
    let phone_styles: &[PhoneStyle] = if kinds.contains(&Country) {
        &[
            PhoneStyle::E164,
            PhoneStyle::International,
            PhoneStyle::National,
            PhoneStyle::Digits,
        ]
    } else {
        &[
            PhoneStyle::E164,
            PhoneStyle::International,
            PhoneStyle::Digits,
        ]
    };
    let columns = kinds
        .into_iter()
        .map(|kind| Column {
            kind,
            header: pick(r, kind.header_names(), "x").to_owned(),
        })
        .collect();
    let format = match r.random_range(0..6) {
        0 | 1 => SampleFormat::Delimited {
            delimiter: b',',
            header: true,
        },
        2 => SampleFormat::Delimited {
            delimiter: b';',
            header: true,
        },
        3 => SampleFormat::Delimited {
            delimiter: b'\t',
            header: true,
        },
        4 => SampleFormat::Delimited {
            delimiter: b'|',
            header: true,
        },
        _ => SampleFormat::Ndjson,
    };
    SystemParams {
        name: pick(r, SYSTEM_NAMES[t.min(4)], "system").to_owned(),
        columns,
        share_permille: if t == 0 {
            1000
        } else {
            r.random_range(300..800)
        },
        format,
        phone: pick(r, phone_styles, PhoneStyle::E164),
        email: if r.random_bool(0.5) {
            EmailStyle::AsTyped
        } else {
            EmailStyle::Lower
        },
        country: pick(
            r,
            &[CountryStyle::Iso2, CountryStyle::Name, CountryStyle::Iso3],
            CountryStyle::Iso2,
        ),
        date: match r.random_range(0..4) {
            0 | 1 => DateStyle::Iso,
            2 => DateStyle::DayFirst {
                separator: pick(r, &['.', '/'], '.'),
            },
            _ => DateStyle::MonthFirst,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Records: one person as some system or service could write them
// ---------------------------------------------------------------------------------------

/// One person's values before any system's habits: a customer at a snapshot, a made-up
/// person, or someone as another service knows them.
#[derive(Clone, Debug)]
struct Rec {
    /// Names as the person writes them (native script or Latin).
    first: String,
    last: String,
    /// Latin names, as the person types them on a foreign site.
    latin_first: String,
    latin_last: String,
    /// Family name first in a whole name; without a space between when `joined`.
    family_first: bool,
    joined: bool,
    country: usize,
    /// As typed.
    email: String,
    /// E.164.
    phone: String,
    birth: (u32, u32, u32),
    street: String,
    house: u32,
    number_first: bool,
    postal: String,
    city: String,
    customer_id: String,
    order_id: String,
    created: String,
    consent: bool,
}

impl Rec {
    fn full_name(&self) -> String {
        if self.joined {
            format!("{}{}", self.last, self.first)
        } else if self.family_first {
            format!("{} {}", self.last, self.first)
        } else {
            format!("{} {}", self.first, self.last)
        }
    }

    fn address(&self) -> String {
        if self.number_first {
            format!("{} {}", self.house, self.street)
        } else {
            format!("{} {}", self.street, self.house)
        }
    }
}

fn iso3(iso2: &str) -> &'static str {
    match iso2 {
        "DE" => "DEU",
        "FR" => "FRA",
        "ES" => "ESP",
        "IT" => "ITA",
        "GB" => "GBR",
        "US" => "USA",
        "PL" => "POL",
        "TR" => "TUR",
        "RU" => "RUS",
        "GR" => "GRC",
        "JP" => "JPN",
        "CN" => "CHN",
        "KR" => "KOR",
        "IN" => "IND",
        "BR" => "BRA",
        "EG" => "EGY",
        _ => "XXX",
    }
}

fn created_at(h: u64) -> String {
    let y = 2012 + (h % 10) as u32;
    let m = 1 + ((h >> 8) % 12) as u32;
    let d = 1 + ((h >> 16) % 28) as u32;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        (h >> 24) % 24,
        (h >> 32) % 60,
        (h >> 40) % 60
    )
}

const US_FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "Tyler",
    "Brittany",
    "Kyle",
    "Megan",
    "Jordan",
    "Hannah",
];
const US_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
];
const US_STREETS: &[&str] = &[
    "Maple St",
    "Oak Ave",
    "Washington Blvd",
    "Lakeview Dr",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Sunset Blvd",
    "Park Pl",
    "Hillcrest Dr",
    "Jefferson Ave",
    "Highland Ave",
    "Mill Rd",
    "Willow Way",
    "River Rd",
    "Chestnut St",
];
const US_CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Fairview",
    "Salem",
    "Madison",
    "Georgetown",
    "Arlington",
    "Ashland",
    "Dover",
    "Oxford",
    "Burlington",
    "Milton",
    "Austin",
    "Denver",
    "Tampa",
    "Columbus",
];
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "mail.com",
    "protonmail.com",
];
/// Domains a lazy generator writes: reserved for documentation or obviously fake.
const RESERVED_MAIL: &[&str] = &["example.com", "example.org", "example.net", "test.com"];
const WORDS: &[&str] = &[
    "shadow", "dragon", "pixel", "wolf", "storm", "ninja", "tiger", "sunny", "rocket", "cookie",
    "matrix", "falcon", "blue", "lucky", "panda", "ghost",
];

fn ascii_lower(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn us_country() -> usize {
    COUNTRIES.iter().position(|c| c.iso == "US").unwrap_or(0)
}

/// A made-up person from a Faker-like generator that knows nothing of the customer base:
/// `us_share` of them common US names and addresses, the rest from the international
/// tables (half in their own script). Ids are left empty.
fn fake_rec(r: &mut StdRng, us_share: f64) -> Rec {
    let (first, last, latin_first, latin_last, country, street, number_first, postal, city);
    let mut family_first = false;
    let mut joined = false;
    let domain;
    if r.random_bool(us_share) {
        let f = pick(r, US_FIRST, "Alex");
        let l = pick(r, US_LAST, "Doe");
        (first, last, latin_first, latin_last) = (f, l, f, l);
        country = us_country();
        street = pick(r, US_STREETS, "Main St").to_owned();
        number_first = true;
        postal = digits(r, 5);
        city = pick(r, US_CITIES, "Springfield").to_owned();
        domain = pick(r, FREE_MAIL, "gmail.com");
    } else {
        country = r.random_range(0..COUNTRIES.len());
        let c = &COUNTRIES[country];
        let f = pick(r, c.first, ("Alex", "Alex"));
        let l = pick(r, c.last, ("Doe", "Doe"));
        let native = f.0 != f.1 && r.random_bool(0.5);
        (first, last) = if native { (f.0, l.0) } else { (f.1, l.1) };
        (latin_first, latin_last) = (f.1, l.1);
        family_first = c.family_first;
        joined = c.family_first && native;
        street = pick(r, c.streets, "Main Street").to_owned();
        number_first = c.number_first;
        postal = (c.postal)(r);
        city = pick(r, c.cities, "Springfield").to_owned();
        domain = if r.random_bool(0.5) {
            pick(r, c.domains, "gmail.com")
        } else {
            pick(r, FREE_MAIL, "gmail.com")
        };
    }
    let (lf, ll) = (ascii_lower(latin_first), ascii_lower(latin_last));
    let local = match r.random_range(0..6) {
        0 => format!("{lf}.{ll}"),
        1 => format!("{lf}{ll}{}", r.random_range(1..100)),
        2 => format!("{}{ll}{}", &lf[..lf.len().min(1)], r.random_range(50..100)),
        3 => format!("{lf}_{ll}{}", r.random_range(1..1000)),
        4 => format!("{ll}.{lf}{}", r.random_range(1..10)),
        _ => format!("{lf}{}", r.random_range(1..10_000)),
    };
    let mut email = format!("{local}@{domain}");
    if r.random_bool(0.15) {
        if let Some(c) = email.get_mut(0..1) {
            c.make_ascii_uppercase();
        }
    }
    let iso = COUNTRIES[country].iso;
    Rec {
        first: first.to_owned(),
        last: last.to_owned(),
        latin_first: latin_first.to_owned(),
        latin_last: latin_last.to_owned(),
        family_first,
        joined,
        country,
        email,
        phone: random_phone(r, iso),
        birth: (
            r.random_range(1940..2007),
            r.random_range(1..13),
            r.random_range(1..29),
        ),
        street,
        house: r.random_range(1..400),
        number_first,
        postal,
        city,
        customer_id: String::new(),
        order_id: String::new(),
        created: created_at(r.random()),
        consent: r.random_bool(0.6),
    }
}

/// A number in `range` (an E.164 prefix) that libphonenumber calls valid, if one is found.
fn phone_in_range(r: &mut StdRng, range: &str, fallback_iso: &str) -> String {
    let total = range.len() + 4;
    for _ in 0..40 {
        let candidate = format!("{range}{}", digits(r, total - range.len()));
        if PHONE_NUMBER_UTIL
            .parse(&candidate, None)
            .is_ok_and(|p| p.is_valid())
        {
            return candidate;
        }
    }
    random_phone(r, fallback_iso)
}

// ---------------------------------------------------------------------------------------
// Seller noise
// ---------------------------------------------------------------------------------------

/// What a seller did to a copy before posting it.
#[derive(Clone, Debug, Default)]
struct Noise {
    upper_names: bool,
    lower_emails: bool,
    phone: Option<PhoneNoise>,
    translit: bool,
    swap_share: f64,
    typo_share: f64,
    blank_ids_share: f64,
    drop_id_columns: bool,
}

#[derive(Clone, Copy, Debug)]
enum PhoneNoise {
    Compact,
    Dashes,
    Restyle(PhoneStyle),
}

impl Noise {
    /// Some of the things sellers do, relevant to `cols`.
    fn draw(r: &mut StdRng, cols: &[ColumnKind]) -> Self {
        let has = |k: fn(ColumnKind) -> bool| cols.iter().any(|c| k(*c));
        let mut n = Noise::default();
        // At least one kind of noise that touches a column the sample has.
        for _ in 0..8 {
            if has(ColumnKind::is_name) {
                n.upper_names |= r.random_bool(0.2);
                n.translit |= r.random_bool(0.3);
                if r.random_bool(0.3) {
                    n.swap_share = r.random_range(0.1..0.4);
                }
                if r.random_bool(0.4) {
                    n.typo_share = 0.05;
                }
            }
            if cols.contains(&ColumnKind::Email) {
                n.lower_emails |= r.random_bool(0.3);
            }
            if cols.contains(&ColumnKind::Phone) && r.random_bool(0.4) {
                n.phone = Some(match r.random_range(0..3) {
                    0 => PhoneNoise::Compact,
                    1 => PhoneNoise::Dashes,
                    _ => PhoneNoise::Restyle(pick(
                        r,
                        &[
                            PhoneStyle::E164,
                            PhoneStyle::International,
                            PhoneStyle::Digits,
                        ],
                        PhoneStyle::E164,
                    )),
                });
            }
            if has(ColumnKind::is_id) && cols.len() > 2 && r.random_bool(0.3) {
                if r.random_bool(0.5) {
                    n.drop_id_columns = true;
                } else {
                    n.blank_ids_share = r.random_range(0.2..0.5);
                }
            }
            if !n.describe().is_empty() {
                break;
            }
        }
        n
    }

    fn describe(&self) -> Vec<String> {
        let mut d = Vec::new();
        if self.upper_names {
            d.push("upper-case names".to_owned());
        }
        if self.lower_emails {
            d.push("lower-cased e-mails".to_owned());
        }
        match self.phone {
            Some(PhoneNoise::Compact) => d.push("phones without spaces".to_owned()),
            Some(PhoneNoise::Dashes) => d.push("phones with dashes".to_owned()),
            Some(PhoneNoise::Restyle(s)) => d.push(format!("phones rewritten {s:?}")),
            None => {}
        }
        if self.translit {
            d.push("names transliterated".to_owned());
        }
        if self.swap_share > 0.0 {
            d.push(format!(
                "first/last swapped in {:.0}%",
                100.0 * self.swap_share
            ));
        }
        if self.typo_share > 0.0 {
            d.push(format!("{:.0}% typos", 100.0 * self.typo_share));
        }
        if self.blank_ids_share > 0.0 {
            d.push(format!(
                "ids blanked in {:.0}%",
                100.0 * self.blank_ids_share
            ));
        }
        if self.drop_id_columns {
            d.push("id columns dropped".to_owned());
        }
        d
    }

    /// The record as the seller changed it (names, typos).
    fn apply_rec(&self, r: &mut StdRng, rec: &mut Rec) {
        if self.translit {
            for s in [
                &mut rec.first,
                &mut rec.last,
                &mut rec.city,
                &mut rec.street,
            ] {
                *s = deunicode::deunicode(s);
            }
            rec.joined = false;
        }
        if self.swap_share > 0.0 && r.random_bool(self.swap_share) {
            std::mem::swap(&mut rec.first, &mut rec.last);
        }
        if self.typo_share > 0.0 && r.random_bool(self.typo_share) {
            let k = r.random_range(0..1000usize);
            match r.random_range(0..4) {
                0 => rec.first = typo(&rec.first, k),
                1 => rec.last = typo(&rec.last, k),
                2 => rec.street = typo(&rec.street, k),
                _ => rec.city = typo(&rec.city, k),
            }
        }
    }

    /// The rendered cells as the seller changed them (case, phones, ids).
    fn apply_cells(&self, r: &mut StdRng, cols: &[ColumnKind], cells: &mut [String], rec: &Rec) {
        let blank = self.blank_ids_share > 0.0 && r.random_bool(self.blank_ids_share);
        for (kind, cell) in cols.iter().zip(cells.iter_mut()) {
            match kind {
                k if k.is_name() && self.upper_names => *cell = cell.to_uppercase(),
                ColumnKind::Email if self.lower_emails => *cell = cell.to_lowercase(),
                ColumnKind::Phone => match self.phone {
                    Some(PhoneNoise::Compact) => cell.retain(|c| c != ' '),
                    Some(PhoneNoise::Dashes) => *cell = cell.trim().replace(' ', "-"),
                    Some(PhoneNoise::Restyle(s)) => *cell = s.render(&rec.phone),
                    None => {}
                },
                k if k.is_id() && blank => cell.clear(),
                _ => {}
            }
        }
    }
}

/// `s` with one letter doubled, dropped or swapped with the next (at a position from `k`).
fn typo(s: &str, k: usize) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_owned();
    }
    let at = 1 + k % (c.len() - 2);
    match k % 3 {
        0 => c.insert(at, c[at]),
        1 => {
            c.remove(at);
        }
        _ => c.swap(at, at + 1),
    }
    c.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// The company
// ---------------------------------------------------------------------------------------

/// A generated company: its parameters, its customers over three snapshots, and its
/// canary records.
#[derive(Clone, Debug)]
pub struct Company {
    /// What it was drawn from.
    pub params: CompanyParams,
    /// Everyone who was ever a customer.
    pub population: Population,
    canaries: Vec<Rec>,
}

impl Company {
    /// Generates the customers and canaries of `params`.
    pub fn generate(params: CompanyParams) -> Self {
        let population = Population::generate(mix2(params.seed, 0x909), params.customers);
        let mut r = StdRng::seed_from_u64(mix2(params.seed, 0xca4a));
        let base = population.people.len() as u64 + 11;
        let home = params.home_country;
        let canaries = (0..params.canaries as u64)
            .map(|i| {
                let mut rec = fake_rec(&mut r, 0.3);
                let (lf, ll) = (ascii_lower(&rec.latin_first), ascii_lower(&rec.latin_last));
                rec.email = format!("{lf}.{ll}{}@{}", r.random_range(1..100), params.mail_domain);
                rec.phone = phone_in_range(&mut r, &params.phone_range, home);
                // Planted as ordinary accounts, numbered just past the customers.
                rec.customer_id = params.customer_ids.render(base + i, params.seed);
                rec.order_id = params.order_ids.render(base + i, params.seed);
                rec
            })
            .collect();
        Company {
            params,
            population,
            canaries,
        }
    }

    /// Snapshot date `t`.
    pub fn snapshot(&self, t: usize) -> &str {
        &self.params.snapshots[t.min(2)]
    }

    /// Whether `system` holds the customer with `serial` (stable per person and system).
    fn holds(&self, system: usize, serial: u64) -> bool {
        system == 0
            || mix2(self.params.seed ^ ((system as u64) << 40), serial) % 1000
                < u64::from(self.params.systems[system].share_permille)
    }

    /// Indices of the customers `system` holds at snapshot `t`.
    fn holders(&self, system: usize, t: usize) -> Vec<usize> {
        (0..self.population.people.len())
            .filter(|i| {
                let p = &self.population.people[*i];
                p.active_at(t) && self.holds(system, p.serial)
            })
            .collect()
    }

    fn person_rec(&self, p: &Person, k: &Contact) -> Rec {
        let c = &COUNTRIES[p.country];
        let (first, last) = p.names();
        let mut email = k.email.clone();
        if p.caps_email {
            if let Some(f) = email.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
        }
        let h = mix2(self.params.seed, p.serial);
        Rec {
            first: first.to_owned(),
            last: last.to_owned(),
            latin_first: p.first.1.to_owned(),
            latin_last: p.last.1.to_owned(),
            family_first: c.family_first,
            joined: c.family_first && p.native,
            country: p.country,
            email,
            phone: k.phone.clone(),
            birth: p.birth,
            street: k.street.clone(),
            house: k.house,
            number_first: c.number_first,
            postal: k.postal.clone(),
            city: k.city.clone(),
            customer_id: self.params.customer_ids.render(p.serial, self.params.seed),
            order_id: self.params.order_ids.render(p.serial, self.params.seed),
            created: created_at(h),
            consent: !h.is_multiple_of(3),
        }
    }

    /// A customer as the company's systems hold them at snapshot `t`.
    fn customer_rec(&self, p: &Person, t: usize) -> Rec {
        self.person_rec(p, p.contact_at(t))
    }

    /// A made-up person carrying made-up ids in the company's formats (a forger who has
    /// seen a few real ids).
    fn forged_rec(&self, r: &mut StdRng, us_share: f64) -> Rec {
        let mut rec = fake_rec(r, us_share);
        let n = self.population.people.len() as u64;
        rec.customer_id = self.params.customer_ids.forge(r, n);
        rec.order_id = self.params.order_ids.forge(r, n);
        rec
    }

    fn cell(&self, sys: &SystemParams, kind: ColumnKind, rec: &Rec) -> String {
        let c = &COUNTRIES[rec.country];
        match kind {
            ColumnKind::CustomerId => rec.customer_id.clone(),
            ColumnKind::OrderId => rec.order_id.clone(),
            ColumnKind::Email => match sys.email {
                EmailStyle::AsTyped => rec.email.clone(),
                EmailStyle::Lower => rec.email.to_lowercase(),
            },
            ColumnKind::FirstName => rec.first.clone(),
            ColumnKind::LastName => rec.last.clone(),
            ColumnKind::FullName => rec.full_name(),
            ColumnKind::Phone => sys.phone.render(&rec.phone),
            ColumnKind::BirthDate => sys.date.render(rec.birth),
            ColumnKind::Country => match sys.country {
                CountryStyle::Iso2 => c.iso.to_owned(),
                CountryStyle::Name => c.display.to_owned(),
                CountryStyle::Iso3 => iso3(c.iso).to_owned(),
            },
            ColumnKind::Street => rec.street.clone(),
            ColumnKind::HouseNumber => rec.house.to_string(),
            ColumnKind::Address => rec.address(),
            ColumnKind::PostalCode => rec.postal.clone(),
            ColumnKind::City => rec.city.clone(),
            ColumnKind::Consent => if rec.consent { "yes" } else { "no" }.to_owned(),
            ColumnKind::CreatedAt => rec.created.clone(),
        }
    }

    fn row(&self, sys: &SystemParams, cols: &[ColumnKind], rec: &Rec) -> Vec<String> {
        cols.iter().map(|k| self.cell(sys, *k, rec)).collect()
    }

    /// The export of system `system` at snapshot `t`, canaries included where planted
    /// (from the first snapshot on).
    pub fn export(&self, system: usize, t: usize) -> Table {
        let sys = &self.params.systems[system];
        let cols: Vec<ColumnKind> = sys.columns.iter().map(|c| c.kind).collect();
        let mut rows: Vec<Vec<String>> = self
            .holders(system, t)
            .into_iter()
            .map(|i| {
                self.row(
                    sys,
                    &cols,
                    &self.customer_rec(&self.population.people[i], t),
                )
            })
            .collect();
        if system == self.params.canary_system {
            rows.extend(self.canaries.iter().map(|c| self.row(sys, &cols, c)));
        }
        Table {
            header: sys.columns.iter().map(|c| c.header.clone()).collect(),
            rows,
        }
    }

    /// File name of an export: `<system>-<date>.<ext>`.
    pub fn export_file_name(&self, system: usize, t: usize) -> String {
        let sys = &self.params.systems[system];
        format!(
            "{}-{}.{}",
            sys.name,
            self.snapshot(t),
            sys.format.extension()
        )
    }

    /// Writes the export of `system` at snapshot `t` to `path` in the system's format.
    pub fn write_export(&self, system: usize, t: usize, path: &Path) -> std::io::Result<()> {
        write_sample(
            path,
            &self.export(system, t),
            &self.params.systems[system].format,
        )
    }

    /// The canary records, in the columns and habits of the system they are planted in
    /// (what `breachcheck index canaries` registers).
    pub fn canary_table(&self) -> Table {
        let sys = &self.params.systems[self.params.canary_system];
        let cols: Vec<ColumnKind> = sys.columns.iter().map(|c| c.kind).collect();
        Table {
            header: sys.columns.iter().map(|c| c.header.clone()).collect(),
            rows: self
                .canaries
                .iter()
                .map(|c| self.row(sys, &cols, c))
                .collect(),
        }
    }

    /// The story for `seed`: its kind from the seed (every ninth seed the same kind, so any
    /// run of nine seeds covers them all), its parameters drawn from the seed and the
    /// company.
    pub fn story(&self, seed: u64, opts: &StoryOptions) -> Story {
        self.story_of(StoryKind::for_seed(seed), seed, opts)
    }

    /// A story of `kind` with parameters drawn from `seed`.
    pub fn story_of(&self, kind: StoryKind, seed: u64, opts: &StoryOptions) -> Story {
        let mut r = StdRng::seed_from_u64(mix2(self.params.seed ^ 0x5707, seed));
        let (base, n) = if kind == StoryKind::Tiny {
            let base = pick(&mut r, &StoryKind::ALL[..8], StoryKind::Genuine);
            (base, r.random_range(5..=30))
        } else {
            (kind, log_uniform(&mut r, opts.min_lines, opts.max_lines))
        };
        let mut story = match base {
            StoryKind::Genuine => self.genuine(&mut r, n, false),
            StoryKind::GenuineCanary => self.genuine(&mut r, n, true),
            StoryKind::Mixed => self.mixed(&mut r, n),
            StoryKind::Fabricated => self.fabricated(&mut r, n),
            StoryKind::Recycled => self.recycled(&mut r, n),
            StoryKind::Compilation => self.compilation(&mut r, n),
            StoryKind::Scraped => self.scraped(&mut r, n),
            StoryKind::Combolist | StoryKind::Tiny => self.combolist(&mut r, n),
        };
        story.kind = kind;
        story.base = base;
        story.seed = seed;
        if kind == StoryKind::Tiny {
            story.truth.also_ok.push("inconclusive");
            story.description = format!("tiny: {}", story.description);
        }
        story.description = format!(
            "{}; {} lines as {}",
            story.description,
            story.table.rows.len(),
            story.format.describe()
        );
        story
    }

    /// Which of a system's columns a copy keeps: all, a few (always an e-mail or phone
    /// among them), or one (the e-mail, else the phone).
    fn draw_width(
        r: &mut StdRng,
        sys: &SystemParams,
        all_share: f64,
    ) -> (Vec<ColumnKind>, &'static str) {
        let all: Vec<ColumnKind> = sys.columns.iter().map(|c| c.kind).collect();
        let anchor = if sys.has(ColumnKind::Email) {
            ColumnKind::Email
        } else {
            ColumnKind::Phone
        };
        let roll: f64 = r.random();
        if roll < all_share {
            (all, "all columns")
        } else if roll < all_share + (1.0 - all_share) * 0.6 {
            let mut others: Vec<ColumnKind> = all
                .iter()
                .copied()
                .filter(|k| *k != anchor && !k.is_filler())
                .collect();
            others.shuffle(r);
            others.truncate(r.random_range(1..=3.min(others.len().max(1))));
            let keep: Vec<ColumnKind> = all
                .iter()
                .copied()
                .filter(|k| *k == anchor || others.contains(k))
                .collect();
            (keep, "a few columns")
        } else {
            (vec![anchor], "one column")
        }
    }

    fn header_for(
        r: &mut StdRng,
        sys: &SystemParams,
        cols: &[ColumnKind],
        renamed: bool,
    ) -> Vec<String> {
        cols.iter()
            .map(|k| {
                if renamed {
                    pick(r, k.header_names(), "x").to_owned()
                } else {
                    sys.columns
                        .iter()
                        .find(|c| c.kind == *k)
                        .map_or_else(|| k.header_names()[0].to_owned(), |c| c.header.clone())
                }
            })
            .collect()
    }

    fn genuine(&self, r: &mut StdRng, n: usize, with_canaries: bool) -> Story {
        let s = if with_canaries {
            self.params.canary_system
        } else {
            r.random_range(0..self.params.systems.len())
        };
        let sys = &self.params.systems[s];
        let t = r.random_range(0..3);
        let (mut cols, width) = Self::draw_width(r, sys, 0.5);
        let noise = if r.random_bool(0.5) {
            Noise::draw(r, &cols)
        } else {
            Noise::default()
        };
        if noise.drop_id_columns {
            cols.retain(|k| !k.is_id());
        }
        let k_can = if with_canaries {
            r.random_range(2..=self.canaries.len().max(2))
                .min(self.canaries.len())
                .min(n.max(1))
        } else {
            0
        };
        let holders = self.holders(s, t);
        let take = n.saturating_sub(k_can).min(holders.len());
        let chosen: Vec<usize> = rand::seq::index::sample(r, holders.len(), take)
            .into_iter()
            .map(|i| holders[i])
            .collect();
        let mut recs: Vec<Rec> = chosen
            .iter()
            .map(|i| self.customer_rec(&self.population.people[*i], t))
            .collect();
        let mut canaries = self.canaries.clone();
        canaries.shuffle(r);
        recs.extend(canaries.into_iter().take(k_can));
        let mut rows: Vec<Vec<String>> = recs
            .iter_mut()
            .map(|rec| {
                noise.apply_rec(r, rec);
                let mut cells = self.row(sys, &cols, rec);
                noise.apply_cells(r, &cols, &mut cells, rec);
                cells
            })
            .collect();
        rows.shuffle(r);
        let renamed = r.random_bool(0.2);
        let header = Self::header_for(r, sys, &cols, renamed);
        let noise_d = noise.describe();
        Story {
            kind: StoryKind::Genuine,
            base: StoryKind::Genuine,
            seed: 0,
            description: format!(
                "genuine copy of {} @ {}{}, {width} ({}){}{}",
                sys.name,
                self.snapshot(t),
                if k_can > 0 {
                    format!(" with {k_can} canaries")
                } else {
                    String::new()
                },
                cols.len(),
                if renamed { ", headers renamed" } else { "" },
                if noise_d.is_empty() {
                    String::new()
                } else {
                    format!(", noise: {}", noise_d.join(", "))
                }
            ),
            table: Table { header, rows },
            format: SampleFormat::draw(r),
            truth: Truth {
                class: "genuine",
                genuine_fraction: 1.0,
                system: Some(sys.name.clone()),
                snapshot: Some(self.snapshot(t).to_owned()),
                canary: k_can > 0,
                also_ok: Vec::new(),
            },
        }
    }

    fn mixed(&self, r: &mut StdRng, n: usize) -> Story {
        let s = r.random_range(0..self.params.systems.len());
        let sys = &self.params.systems[s];
        let t = r.random_range(0..3);
        let (cols, width) = Self::draw_width(r, sys, 0.7);
        let share = r.random_range(0.02..0.60);
        let holders = self.holders(s, t);
        let n = n.max(2);
        let g = ((share * n as f64).round() as usize)
            .clamp(1, n - 1)
            .min(holders.len());
        let noise = if r.random_bool(0.3) {
            Noise::draw(r, &cols)
        } else {
            Noise::default()
        };
        let chosen: Vec<usize> = rand::seq::index::sample(r, holders.len(), g)
            .into_iter()
            .map(|i| holders[i])
            .collect();
        let mut recs: Vec<Rec> = chosen
            .iter()
            .map(|i| self.customer_rec(&self.population.people[*i], t))
            .collect();
        let us_share = r.random_range(0.3..0.8);
        for _ in g..n {
            recs.push(self.forged_rec(r, us_share));
        }
        let cols: Vec<ColumnKind> = if noise.drop_id_columns {
            cols.into_iter().filter(|k| !k.is_id()).collect()
        } else {
            cols
        };
        let mut rows: Vec<Vec<String>> = recs
            .iter_mut()
            .map(|rec| {
                noise.apply_rec(r, rec);
                let mut cells = self.row(sys, &cols, rec);
                noise.apply_cells(r, &cols, &mut cells, rec);
                cells
            })
            .collect();
        rows.shuffle(r);
        let renamed = r.random_bool(0.2);
        let header = Self::header_for(r, sys, &cols, renamed);
        let noise_d = noise.describe();
        Story {
            kind: StoryKind::Mixed,
            base: StoryKind::Mixed,
            seed: 0,
            description: format!(
                "mixed: {g} genuine lines of {} @ {} among {} made-up people, {width}{}",
                sys.name,
                self.snapshot(t),
                n - g,
                if noise_d.is_empty() {
                    String::new()
                } else {
                    format!(", noise: {}", noise_d.join(", "))
                }
            ),
            table: Table { header, rows },
            format: SampleFormat::draw(r),
            truth: Truth {
                class: "mixed",
                genuine_fraction: g as f64 / n as f64,
                system: Some(sys.name.clone()),
                snapshot: Some(self.snapshot(t).to_owned()),
                canary: false,
                also_ok: Vec::new(),
            },
        }
    }

    fn fabricated(&self, r: &mut StdRng, n: usize) -> Story {
        let s = r.random_range(0..self.params.systems.len());
        let sys = &self.params.systems[s];
        let (cols, width) = Self::draw_width(r, sys, 0.7);
        let invalid_phones = if cols.contains(&ColumnKind::Phone) && r.random_bool(0.4) {
            r.random_range(0.1..0.5)
        } else {
            0.0
        };
        let reserved = if cols.contains(&ColumnKind::Email) && r.random_bool(0.3) {
            r.random_range(0.1..0.6)
        } else {
            0.0
        };
        let us_share = r.random_range(0.3..0.9);
        let mut rows: Vec<Vec<String>> = (0..n)
            .map(|_| {
                let mut rec = self.forged_rec(r, us_share);
                if invalid_phones > 0.0 && r.random_bool(invalid_phones) {
                    rec.phone = format!("+{}", digits(r, 11));
                }
                if reserved > 0.0 && r.random_bool(reserved) {
                    let local = rec.email.split('@').next().unwrap_or("user").to_owned();
                    rec.email = format!("{local}@{}", pick(r, RESERVED_MAIL, "example.com"));
                }
                self.row(sys, &cols, &rec)
            })
            .collect();
        rows.shuffle(r);
        let renamed = r.random_bool(0.3);
        let header = Self::header_for(r, sys, &cols, renamed);
        let mut d = format!(
            "fabricated people in {}'s columns ({width}), ids forged in the company's {} format",
            sys.name,
            self.params.customer_ids.as_str()
        );
        if invalid_phones > 0.0 {
            d.push_str(&format!(", {:.0}% invalid phones", 100.0 * invalid_phones));
        }
        if reserved > 0.0 {
            d.push_str(&format!(", {:.0}% reserved domains", 100.0 * reserved));
        }
        Story {
            kind: StoryKind::Fabricated,
            base: StoryKind::Fabricated,
            seed: 0,
            description: d,
            table: Table { header, rows },
            format: SampleFormat::draw(r),
            truth: Truth::none("fabricated"),
        }
    }

    /// A customer as another service knows them: the e-mail, name and phone they give
    /// anywhere, their address and e-mail as of that service's own last update — any of
    /// the company's versions, or (one in five) a change the company never saw.
    fn elsewhere(&self, r: &mut StdRng) -> Rec {
        let people = &self.population.people;
        let p = &people[r.random_range(0..people.len().max(1)).min(people.len() - 1)];
        let mut k = pick_contact(r, p);
        if r.random_bool(0.2) {
            let fresh = p.new_contact(r, 3);
            match r.random_range(0..3) {
                0 => k.email = fresh.email,
                1 => k.phone = fresh.phone,
                _ => {
                    (k.street, k.house, k.postal, k.city) =
                        (fresh.street, fresh.house, fresh.postal, fresh.city)
                }
            }
        }
        let mut rec = self.person_rec(p, &k);
        if r.random_bool(0.7) {
            // Latin letters on a foreign site.
            rec.first = rec.latin_first.clone();
            rec.last = rec.latin_last.clone();
            rec.joined = false;
        }
        rec.customer_id.clear();
        rec.order_id.clear();
        rec
    }

    fn recycled(&self, r: &mut StdRng, n: usize) -> Story {
        let overlap = r.random_range(0.10..0.60);
        let us_share = r.random_range(0.4..0.9);
        let service = format!(
            "{}{}",
            pick(
                r,
                &["quick", "happy", "smart", "fit", "game", "travel"],
                "x"
            ),
            pick(r, &["shop", "hub", "club", "zone", "deals", "pal"], "x")
        );
        // Its own ids, in a format the company does not use.
        let numeric_ok = matches!(
            self.params.customer_ids,
            IdFormat::Prefixed { .. } | IdFormat::Uuid
        );
        let id_kind = r.random_range(if numeric_ok { 0 } else { 1 }..4);
        let split = r.random_bool(0.3);
        let birth = r.random_bool(0.3);
        let postal = r.random_bool(0.5);
        let mut header: Vec<String> = vec![pick(r, &["user_id", "uid", "member_id"], "uid").into()];
        header.push(pick(r, &["email", "user_email", "mail"], "email").into());
        if split {
            header.extend(["first_name".into(), "last_name".into()]);
        } else {
            header.push(pick(r, &["name", "full_name", "display_name"], "name").into());
        }
        header.push(pick(r, &["phone", "mobile", "phone_number"], "phone").into());
        header.push(pick(r, &["address", "street_address"], "address").into());
        if postal {
            header.push(pick(r, &["zip", "postcode"], "zip").into());
        }
        header.push("city".into());
        header.push("country".into());
        if birth {
            header.push("dob".into());
        }
        header.push(pick(r, &["created_at", "registered"], "created_at").into());
        let shared = ((overlap * n as f64).round() as usize).min(n);
        let id_base = r.random_range(1_000..5_000_000u64);
        let mut rows: Vec<Vec<String>> = (0..n)
            .map(|i| {
                let rec = if i < shared {
                    self.elsewhere(r)
                } else {
                    fake_rec(r, us_share)
                };
                let c = &COUNTRIES[rec.country];
                let mut row = vec![match id_kind {
                    0 => (id_base + i as u64 * 3).to_string(),
                    1 => format!("usr_{}", letters(r, 10).to_lowercase()),
                    2 => hex(r, 24),
                    _ => format!("{}-{}-{}", hex(r, 8), hex(r, 4), hex(r, 12)),
                }];
                row.push(rec.email.to_lowercase());
                if split {
                    row.extend([rec.first.clone(), rec.last.clone()]);
                } else {
                    row.push(rec.full_name());
                }
                let national = format_phone(&rec.phone, PhoneNumberFormat::National);
                row.push(national.chars().filter(char::is_ascii_digit).collect());
                row.push(rec.address());
                if postal {
                    row.push(rec.postal.clone());
                }
                row.push(rec.city.clone());
                row.push(iso3(c.iso).to_owned());
                if birth {
                    row.push(DateStyle::Iso.render(rec.birth));
                }
                row.push(r.random_range(1_300_000_000u64..1_700_000_000).to_string());
                row
            })
            .collect();
        rows.shuffle(r);
        Story {
            kind: StoryKind::Recycled,
            base: StoryKind::Recycled,
            seed: 0,
            description: format!(
                "recycled: another service's dump ({service}), {shared} of its users the company's customers as that service knows them, own ids, national phone digits, ISO-3 countries, epoch sign-ups"
            ),
            table: Table { header, rows },
            format: SampleFormat::draw(r),
            truth: Truth::none("recycled"),
        }
    }

    fn compilation(&self, r: &mut StdRng, n: usize) -> Story {
        let overlap = r.random_range(0.10..0.50);
        let us_share = r.random_range(0.4..0.9);
        let person = |r: &mut StdRng| {
            if r.random_bool(overlap) {
                self.elsewhere(r)
            } else {
                fake_rec(r, us_share)
            }
        };
        let header: Vec<String> = [
            "email",
            "name",
            "phone",
            "city",
            "username",
            "password_hash",
        ]
        .map(String::from)
        .to_vec();
        let bcrypt = r.random_bool(0.5);
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(n);
        let (mut shop, mut forum, mut merged, mut directory) = (0, 0, 0, 0);
        while rows.len() < n {
            let rec = person(r);
            let name = format!("{} {}", rec.latin_first, rec.latin_last);
            let roll: f64 = r.random();
            let user = username(r, &rec);
            let hash = if bcrypt {
                format!("$2y$10${}", bcrypt_chars(r, 53))
            } else {
                {
                    let len = pick(r, &[32, 40], 32);
                    hex(r, len)
                }
            };
            let row = if roll < 0.35 {
                shop += 1;
                vec![
                    rec.email.to_lowercase(),
                    name,
                    PhoneStyle::International.render(&rec.phone),
                    rec.city.clone(),
                    String::new(),
                    String::new(),
                ]
            } else if roll < 0.50 {
                // In the shop and the forum under one e-mail: merged into one row.
                merged += 1;
                vec![
                    rec.email.to_lowercase(),
                    name,
                    PhoneStyle::International.render(&rec.phone),
                    rec.city.clone(),
                    user,
                    hash,
                ]
            } else if roll < 0.78 {
                forum += 1;
                vec![
                    rec.email.to_lowercase(),
                    String::new(),
                    String::new(),
                    String::new(),
                    user,
                    hash,
                ]
            } else {
                directory += 1;
                vec![
                    String::new(),
                    name,
                    PhoneStyle::National.render(&rec.phone),
                    rec.city.clone(),
                    String::new(),
                    String::new(),
                ]
            };
            rows.push(row);
        }
        Story {
            kind: StoryKind::Compilation,
            base: StoryKind::Compilation,
            seed: 0,
            description: format!(
                "compilation: {shop} shop rows, {forum} forum rows, {merged} merged shop+forum rows, {directory} directory rows; {:.0}% of people the company's customers",
                100.0 * overlap
            ),
            table: Table { header, rows },
            format: SampleFormat::Delimited {
                delimiter: b'\t',
                header: r.random_bool(0.75),
            },
            truth: Truth::none("compilation"),
        }
    }

    fn scraped(&self, r: &mut StdRng, n: usize) -> Story {
        let overlap = r.random_range(0.30..0.70);
        let mut rows: Vec<Vec<String>> = (0..n)
            .map(|_| {
                let rec = if r.random_bool(overlap) {
                    self.elsewhere(r)
                } else {
                    fake_rec(r, 0.3)
                };
                vec![
                    format!("{}, {}", rec.latin_last, rec.latin_first),
                    rec.city.clone(),
                    PhoneStyle::National.render(&rec.phone),
                ]
            })
            .collect();
        rows.shuffle(r);
        Story {
            kind: StoryKind::Scraped,
            base: StoryKind::Scraped,
            seed: 0,
            description: format!(
                "scraped directory: Last, First|City|national phone, no country; {:.0}% the company's customers",
                100.0 * overlap
            ),
            table: Table {
                header: ["Name", "City", "Phone"].map(String::from).to_vec(),
                rows,
            },
            format: SampleFormat::Delimited {
                delimiter: b'|',
                header: r.random_bool(0.8),
            },
            truth: Truth::none("scraped"),
        }
    }

    fn combolist(&self, r: &mut StdRng, n: usize) -> Story {
        let overlap = r.random_range(0.10..0.60);
        let us_share = r.random_range(0.4..0.9);
        let rows: Vec<Vec<String>> = (0..n)
            .map(|_| {
                let rec = if r.random_bool(overlap) {
                    self.elsewhere(r)
                } else {
                    fake_rec(r, us_share)
                };
                let email = if r.random_bool(0.7) {
                    rec.email.to_lowercase()
                } else {
                    rec.email.clone()
                };
                vec![email, password(r)]
            })
            .collect();
        Story {
            kind: StoryKind::Combolist,
            base: StoryKind::Combolist,
            seed: 0,
            description: format!(
                "combolist email:password, {:.0}% of e-mails the company's customers'",
                100.0 * overlap
            ),
            table: Table {
                header: ["email", "password"].map(String::from).to_vec(),
                rows,
            },
            format: SampleFormat::Delimited {
                delimiter: b':',
                header: false,
            },
            truth: Truth::none("recycled"),
        }
    }
}

/// One of the person's contact versions, as some other service last saw it.
fn pick_contact(r: &mut StdRng, p: &Person) -> Contact {
    let i = r.random_range(0..p.history.len().max(1));
    p.history
        .get(i)
        .or(p.history.last())
        .cloned()
        .unwrap_or_else(|| p.contact_at(0).clone())
}

fn username(r: &mut StdRng, rec: &Rec) -> String {
    let (f, l) = (ascii_lower(&rec.latin_first), ascii_lower(&rec.latin_last));
    match r.random_range(0..3) {
        0 => format!("{f}{l}{}", r.random_range(1..100)),
        1 => format!("{}_{l}", &f[..f.len().min(1)]),
        _ => format!(
            "{}{}{}",
            pick(r, WORDS, "x"),
            pick(r, WORDS, "y"),
            r.random_range(1..1000)
        ),
    }
}

fn password(r: &mut StdRng) -> String {
    match r.random_range(0..4) {
        0 => format!("{}{}", pick(r, WORDS, "x"), r.random_range(1..10_000)),
        1 => format!("{}{}!", pick(r, WORDS, "x"), r.random_range(1..100)),
        2 => {
            let len = r.random_range(6..10);
            digits(r, len)
        }
        _ => {
            let len = r.random_range(6..10);
            let mut s = letters(r, len).to_lowercase();
            s.push_str(&digits(r, 2));
            s
        }
    }
}

fn bcrypt_chars(r: &mut StdRng, n: usize) -> String {
    const A: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(A[r.random_range(0..A.len())]))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Stories and their truth
// ---------------------------------------------------------------------------------------

/// The kinds of leak-sample story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoryKind {
    /// A genuine copy of one system at one snapshot (all columns, a few or one; maybe with
    /// a seller's noise), without the canaries.
    Genuine,
    /// A genuine copy of the canary system that includes planted canaries.
    GenuineCanary,
    /// Genuine lines (2–60%) among made-up people in the same columns.
    Mixed,
    /// Made-up people in a system's columns, ids forged in the company's format.
    Fabricated,
    /// Another service's dump relabelled: some of its users are customers.
    Recycled,
    /// A merge of a shop's customers, a forum breach and a public directory.
    Compilation,
    /// A scraped public directory: name, city, phone.
    Scraped,
    /// `email:password` lines.
    Combolist,
    /// 5–30 lines of any of the above.
    Tiny,
}

impl StoryKind {
    /// Every kind, in seed order.
    pub const ALL: [StoryKind; 9] = [
        StoryKind::Genuine,
        StoryKind::GenuineCanary,
        StoryKind::Mixed,
        StoryKind::Fabricated,
        StoryKind::Recycled,
        StoryKind::Compilation,
        StoryKind::Scraped,
        StoryKind::Combolist,
        StoryKind::Tiny,
    ];

    /// The kind seed `seed` tells: `ALL[seed % 9]`.
    pub fn for_seed(seed: u64) -> Self {
        Self::ALL[(seed % Self::ALL.len() as u64) as usize]
    }

    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StoryKind::Genuine => "genuine",
            StoryKind::GenuineCanary => "genuine_canary",
            StoryKind::Mixed => "mixed",
            StoryKind::Fabricated => "fabricated",
            StoryKind::Recycled => "recycled",
            StoryKind::Compilation => "compilation",
            StoryKind::Scraped => "scraped",
            StoryKind::Combolist => "combolist",
            StoryKind::Tiny => "tiny",
        }
    }
}

/// What a verdict on a story should say.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    /// The verdict class (`genuine`, `mixed`, `recycled`, `fabricated`, `compilation`,
    /// `scraped`).
    pub class: &'static str,
    /// Share of the lines copied from the company.
    pub genuine_fraction: f64,
    /// The system copied from, when lines were.
    pub system: Option<String>,
    /// The snapshot copied at, when lines were.
    pub snapshot: Option<String>,
    /// Whether the sample holds planted canaries.
    pub canary: bool,
    /// Other classes that are not wrong (`inconclusive` for tiny samples).
    pub also_ok: Vec<&'static str>,
}

impl Truth {
    fn none(class: &'static str) -> Self {
        Truth {
            class,
            genuine_fraction: 0.0,
            system: None,
            snapshot: None,
            canary: false,
            also_ok: Vec::new(),
        }
    }

    /// Whether a verdict of `class` is right.
    pub fn accepts(&self, class: &str) -> bool {
        self.class == class || self.also_ok.contains(&class)
    }
}

/// Sample sizes of non-tiny stories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoryOptions {
    /// Fewest lines.
    pub min_lines: usize,
    /// Most lines (a genuine copy is also capped by the system's size).
    pub max_lines: usize,
}

impl Default for StoryOptions {
    /// 100 to 100,000 lines.
    fn default() -> Self {
        StoryOptions {
            min_lines: 100,
            max_lines: 100_000,
        }
    }
}

/// A leak sample of known truth.
#[derive(Clone, Debug)]
pub struct Story {
    /// The kind asked for.
    pub kind: StoryKind,
    /// The kind it is made as (for a tiny story, the kind it is a tiny sample of).
    pub base: StoryKind,
    /// The story seed.
    pub seed: u64,
    /// Its parameters in words (no values).
    pub description: String,
    /// The lines (and the header, written only if the format has one).
    pub table: Table,
    /// How it is written.
    pub format: SampleFormat,
    /// What a verdict should say.
    pub truth: Truth,
}

impl Story {
    /// A file name for the sample: `<seed>-<kind>.<ext>`.
    pub fn file_name(&self) -> String {
        format!(
            "{:04}-{}.{}",
            self.seed,
            self.kind.as_str(),
            self.format.extension()
        )
    }

    /// Writes the sample to `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        write_sample(path, &self.table, &self.format)
    }
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

fn delimited_cell(v: &str, d: u8) -> String {
    if v.bytes()
        .any(|b| b == d || b == b'"' || b == b'\n' || b == b'\r')
    {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn sql_ident(s: &str) -> String {
    let id: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.is_empty() {
        "c".into()
    } else {
        id
    }
}

fn sql_value(v: &str) -> String {
    if v.is_empty() {
        return "NULL".into();
    }
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        match c {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// Writes `t` to `path` in `format`. Empty cells are left empty (delimited), left out
/// (NDJSON) or `NULL` (SQL).
pub fn write_sample(path: &Path, t: &Table, format: &SampleFormat) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    match format {
        SampleFormat::Delimited { delimiter, header } => {
            let sep = (*delimiter as char).to_string();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| delimited_cell(c, *delimiter))
                    .collect::<Vec<_>>()
                    .join(&sep)
            };
            if *header {
                writeln!(w, "{}", line(&t.header))?;
            }
            for r in &t.rows {
                writeln!(w, "{}", line(r))?;
            }
        }
        SampleFormat::Ndjson => {
            for r in &t.rows {
                let mut obj = serde_json::Map::new();
                for (k, v) in t.header.iter().zip(r) {
                    if !v.is_empty() {
                        obj.insert(k.clone(), v.clone().into());
                    }
                }
                writeln!(w, "{}", serde_json::Value::Object(obj))?;
            }
        }
        SampleFormat::MysqlInsert {
            table,
            create_table,
        } => {
            let table = sql_ident(table);
            writeln!(
                w,
                "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: prod\n-- ------------------------------------------------------"
            )?;
            if *create_table {
                writeln!(w, "DROP TABLE IF EXISTS `{table}`;")?;
                writeln!(w, "CREATE TABLE `{table}` (")?;
                for h in &t.header {
                    writeln!(w, "  `{}` varchar(255) DEFAULT NULL,", sql_ident(h))?;
                }
                writeln!(
                    w,
                    "  KEY `idx_0` (`{}`)",
                    sql_ident(t.header.first().map_or("c", String::as_str))
                )?;
                writeln!(w, ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;")?;
            }
            writeln!(w, "LOCK TABLES `{table}` WRITE;")?;
            for chunk in t.rows.chunks(200) {
                let tuples: Vec<String> = chunk
                    .iter()
                    .map(|r| {
                        format!(
                            "({})",
                            r.iter().map(|v| sql_value(v)).collect::<Vec<_>>().join(",")
                        )
                    })
                    .collect();
                writeln!(w, "INSERT INTO `{table}` VALUES {};", tuples.join(","))?;
            }
            writeln!(w, "UNLOCK TABLES;")?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Company {
        let mut p = CompanyParams::draw(seed);
        p.customers = 400;
        Company::generate(p)
    }

    const OPTS: StoryOptions = StoryOptions {
        min_lines: 100,
        max_lines: 300,
    };

    #[test]
    fn companies_differ_and_repeat() {
        let a = CompanyParams::draw(1);
        let b = CompanyParams::draw(1);
        assert_eq!(a.describe(), b.describe());
        assert_eq!(a.snapshots, b.snapshots);
        assert!(a.snapshots[0] < a.snapshots[1] && a.snapshots[1] < a.snapshots[2]);
        let shapes: std::collections::HashSet<Vec<String>> =
            (1..12).map(|s| CompanyParams::draw(s).describe()).collect();
        assert!(shapes.len() > 8);
        for s in 1..30 {
            let p = CompanyParams::draw(s);
            assert!((2..=4).contains(&p.systems.len()));
            assert!((10_000..=1_000_000).contains(&p.customers));
            assert!(p.systems[p.canary_system].has(ColumnKind::Email));
        }
    }

    #[test]
    fn exports_hold_canaries_in_one_system() {
        let c = small(5);
        let can = c.canary_table();
        assert_eq!(can.rows.len(), c.params.canaries);
        let domain = &c.params.mail_domain;
        assert!(can.rows.iter().all(|r| r
            .iter()
            .any(|v| v.to_lowercase().ends_with(domain.as_str()))));
        for s in 0..c.params.systems.len() {
            let e = c.export(s, 2);
            let with = e.rows.iter().filter(|r| can.rows.contains(r)).count();
            if s == c.params.canary_system {
                assert_eq!(with, can.rows.len());
            } else {
                assert_eq!(with, 0);
            }
        }
        assert!(c.export(0, 2).rows.len() > c.export(0, 0).rows.len());
    }

    #[test]
    fn every_story_has_its_truth() {
        let c = small(7);
        for seed in 0..18u64 {
            let s = c.story(seed, &OPTS);
            assert_eq!(s.kind, StoryKind::for_seed(seed));
            let n = s.table.rows.len();
            assert!(n >= 5, "{}", s.description);
            assert!(s.table.rows.iter().all(|r| r.len() == s.table.header.len()));
            let t = &s.truth;
            match s.base {
                StoryKind::Genuine | StoryKind::GenuineCanary => {
                    assert_eq!(t.class, "genuine");
                    assert_eq!(t.genuine_fraction, 1.0);
                    assert!(t.system.is_some() && t.snapshot.is_some());
                    assert_eq!(t.canary, s.base == StoryKind::GenuineCanary);
                }
                StoryKind::Mixed => {
                    assert_eq!(t.class, "mixed");
                    assert!(t.genuine_fraction > 0.0 && t.genuine_fraction < 1.0);
                }
                _ => {
                    assert_eq!(t.genuine_fraction, 0.0);
                    assert!(!t.canary && t.system.is_none());
                }
            }
            assert_eq!(
                t.also_ok.contains(&"inconclusive"),
                s.kind == StoryKind::Tiny
            );
            if s.kind == StoryKind::Tiny {
                assert!((5..=30).contains(&n), "{n}");
            }
        }
    }

    #[test]
    fn a_clean_full_copy_is_rows_of_the_export() {
        let c = small(9);
        let mut found = 0;
        for seed in (0..200u64).filter(|s| StoryKind::for_seed(*s) == StoryKind::Genuine) {
            let s = c.story(seed, &OPTS);
            if !s.description.contains("all columns") || s.description.contains("noise") {
                continue;
            }
            let sys = c
                .params
                .systems
                .iter()
                .position(|x| Some(&x.name) == s.truth.system.as_ref())
                .expect("system");
            let t = c
                .params
                .snapshots
                .iter()
                .position(|x| Some(x) == s.truth.snapshot.as_ref())
                .expect("snapshot");
            let e = c.export(sys, t);
            let rows: std::collections::HashSet<&Vec<String>> = e.rows.iter().collect();
            assert!(
                s.table.rows.iter().all(|r| rows.contains(r)),
                "{}",
                s.description
            );
            found += 1;
        }
        assert!(found > 0);
    }

    #[test]
    fn dense_ids_are_forged_into_real_ones() {
        let mut p = CompanyParams::draw(2);
        p.customers = 400;
        p.customer_ids = IdFormat::Sequential;
        let c = Company::generate(p);
        let real: std::collections::HashSet<String> = c
            .population
            .people
            .iter()
            .map(|x| c.params.customer_ids.render(x.serial, c.params.seed))
            .collect();
        let mut r = StdRng::seed_from_u64(1);
        let hits = (0..200)
            .filter(|_| real.contains(&c.forged_rec(&mut r, 0.5).customer_id))
            .count();
        assert!(hits > 100, "{hits}");
        let uuid = IdFormat::Uuid.render(7, 1);
        assert_eq!(uuid.len(), 36);
    }

    #[test]
    fn samples_are_written_in_every_format() {
        let c = small(4);
        let s = c.story_of(StoryKind::Genuine, 3, &OPTS);
        let dir = std::env::temp_dir().join(format!("bc-scenario-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for (i, f) in [
            SampleFormat::Delimited {
                delimiter: b';',
                header: true,
            },
            SampleFormat::Ndjson,
            SampleFormat::MysqlInsert {
                table: "users".into(),
                create_table: true,
            },
        ]
        .iter()
        .enumerate()
        {
            let path = dir.join(format!("s{i}.{}", f.extension()));
            write_sample(&path, &s.table, f).expect("write");
            let text = std::fs::read_to_string(&path).expect("read");
            assert!(text.lines().count() >= 1);
            if let SampleFormat::MysqlInsert { .. } = f {
                assert!(text.contains("INSERT INTO `users` VALUES ("));
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
