//! What makes one company differ from another: id formats, the habits systems write
//! values with, the systems and their columns, all drawn from the company seed.
use super::{hex, log_uniform, mix2, pick, SampleFormat};
use crate::people::{digits, format_phone, random_phone, unique_digits};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rlibphonenumber::PhoneNumberFormat;

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
    pub(super) fn render(self, n: u64, salt: u64) -> String {
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
    pub(super) fn forge(self, r: &mut StdRng, population: u64) -> String {
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
    pub(super) fn render(self, n: u64, salt: u64) -> String {
        match self {
            OrderIdFormat::Sequential => (50_000_000 + n).to_string(),
            OrderIdFormat::Dashed => format!("O-{:08}", n),
            OrderIdFormat::Scrambled => unique_digits(n * 7 + 3, 10),
            OrderIdFormat::Hex => format!("{:012x}", mix2(salt, n) & 0xffff_ffff_ffff),
        }
    }

    pub(super) fn forge(self, r: &mut StdRng, population: u64) -> String {
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
    pub(super) fn render(self, e164: &str) -> String {
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
    pub(super) fn render(self, (y, m, d): (u32, u32, u32)) -> String {
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
    pub(super) fn header_names(self) -> &'static [&'static str] {
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

    pub(super) fn is_id(self) -> bool {
        matches!(self, ColumnKind::CustomerId | ColumnKind::OrderId)
    }

    pub(super) fn is_name(self) -> bool {
        matches!(
            self,
            ColumnKind::FirstName | ColumnKind::LastName | ColumnKind::FullName
        )
    }

    /// Columns that say nothing about who a line is.
    pub(super) fn is_filler(self) -> bool {
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
    pub(super) fn has(&self, kind: ColumnKind) -> bool {
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
        // The company's range: its number's first digits, room for 10,000 numbers.
        let phone_range = phone
            .get(..phone.len().saturating_sub(4).max(4))
            .unwrap_or(&phone)
            .to_owned();
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
