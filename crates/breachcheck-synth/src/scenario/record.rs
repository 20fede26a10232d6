//! One person's values before any system's habits, and the Faker-like generator of
//! people who are not the company's customers.
use super::pick;
use crate::people::{digits, random_phone, COUNTRIES};
use rand::rngs::StdRng;
use rand::Rng;
use rlibphonenumber::PHONE_NUMBER_UTIL;

/// One person's values before any system's habits: a customer at a snapshot, a made-up
/// person, or someone as another service knows them.
#[derive(Clone, Debug)]
pub(super) struct Rec {
    /// Names as the person writes them (native script or Latin).
    pub(super) first: String,
    pub(super) last: String,
    /// Latin names, as the person types them on a foreign site.
    pub(super) latin_first: String,
    pub(super) latin_last: String,
    /// Family name first in a whole name; without a space between when `joined`.
    pub(super) family_first: bool,
    pub(super) joined: bool,
    pub(super) country: usize,
    /// As typed.
    pub(super) email: String,
    /// E.164.
    pub(super) phone: String,
    pub(super) birth: (u32, u32, u32),
    pub(super) street: String,
    pub(super) house: u32,
    pub(super) number_first: bool,
    pub(super) postal: String,
    pub(super) city: String,
    pub(super) customer_id: String,
    pub(super) order_id: String,
    pub(super) created: String,
    pub(super) consent: bool,
}

impl Rec {
    pub(super) fn full_name(&self) -> String {
        if self.joined {
            format!("{}{}", self.last, self.first)
        } else if self.family_first {
            format!("{} {}", self.last, self.first)
        } else {
            format!("{} {}", self.first, self.last)
        }
    }

    pub(super) fn address(&self) -> String {
        if self.number_first {
            format!("{} {}", self.house, self.street)
        } else {
            format!("{} {}", self.street, self.house)
        }
    }
}

pub(super) fn iso3(iso2: &str) -> &'static str {
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

pub(super) fn created_at(h: u64) -> String {
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
pub(super) const RESERVED_MAIL: &[&str] =
    &["example.com", "example.org", "example.net", "test.com"];
pub(super) const WORDS: &[&str] = &[
    "shadow", "dragon", "pixel", "wolf", "storm", "ninja", "tiger", "sunny", "rocket", "cookie",
    "matrix", "falcon", "blue", "lucky", "panda", "ghost",
];

pub(super) fn ascii_lower(s: &str) -> String {
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
pub(super) fn fake_rec(r: &mut StdRng, us_share: f64) -> Rec {
    fake_rec_in(r, us_share, None)
}

/// Like [`fake_rec`], or, given `home` (an index of `COUNTRIES`), someone of that country
/// alone: a canary whose name and address do not fit its number range would stand out.
pub(super) fn fake_rec_in(r: &mut StdRng, us_share: f64, home: Option<usize>) -> Rec {
    let (first, last, latin_first, latin_last, country, street, number_first, postal, city);
    let mut family_first = false;
    let mut joined = false;
    let domain;
    if home.is_none() && r.random_bool(us_share) {
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
        country = home
            .filter(|h| *h < COUNTRIES.len())
            .unwrap_or_else(|| r.random_range(0..COUNTRIES.len()));
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
pub(super) fn phone_in_range(r: &mut StdRng, range: &str, fallback_iso: &str) -> String {
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
