//! Roles from values alone, for columns a header does not name.
//!
//! Each column's values are first summed up ([`Stats`]) and read on their own
//! ([`guess`]): some shapes settle a role (e-mail, phone, date, a street name), others
//! leave it open (a column of short numbers is a house number only beside a street; six
//! digits are a postal code or an id; a column of words is a name or a place). The columns
//! are then given their roles together ([`assign`]), neighbours deciding what values leave
//! open, and a role a record has once (one e-mail, one city, one customer id) given to one
//! column only: a wrong second role would make a genuine copy look made up, since the
//! values it then compares never agree.
use super::{
    looks_like_amount, looks_like_epoch, looks_like_hash, looks_like_id, looks_like_ip,
    looks_like_national_id, looks_like_street, zip_shape, Column, RoleSource,
};
use crate::places::{self, PostalShape};
use breachcheck_core::FieldRole;
use breachcheck_normalize::{country, date, email, name, phone};
use std::collections::{HashMap, HashSet};

/// What a column's values look like: how many of them have each shape.
#[derive(Default)]
pub(super) struct Stats {
    pub(super) n: usize,
    pub(super) email: usize,
    pub(super) phone: usize,
    /// Phones written so that no id looks like them: with a `+`, a leading 0 or
    /// punctuation.
    pub(super) phone_marked: usize,
    /// Values of digits alone without a leading 0, and those that are valid phone numbers
    /// as they stand (E.164 stored without its plus, North American numbers without
    /// punctuation).
    pub(super) digits_only: usize,
    pub(super) phone_digits: usize,
    /// IPv4 or IPv6 addresses.
    pub(super) ip: usize,
    /// National identifiers by their shape (US social security numbers and the like).
    pub(super) national_id: usize,
    /// US ZIP codes, five digits or ZIP+4, and how many of them are ZIP+4.
    pub(super) zip: usize,
    pub(super) zip4: usize,
    /// Unix times in milliseconds (thirteen digits).
    pub(super) epoch_ms: usize,
    /// Unix times in seconds (ten digits from 1).
    pub(super) epoch_s: usize,
    pub(super) date: usize,
    pub(super) country: usize,
    pub(super) hash: usize,
    pub(super) id: usize,
    /// Ids of letters after a fixed prefix (`usr_pnpajbmsnx`): the most common prefix's
    /// count.
    pub(super) prefixed_id: usize,
    /// Order numbers by their shape: hex with letters (not a UUID, not a hash) or an
    /// `ORD-`, `O-`, `INV-` prefix.
    pub(super) order_id: usize,
    /// UUIDs, which number customers more often than orders.
    pub(super) uuid: usize,
    /// Ids a system numbered: digits alone, a letter or a few and digits (`C0021814`,
    /// `CUST-1042`), UUIDs, order numbers. No password or user name list is written so.
    pub(super) system_id: usize,
    /// Values shaped like user names (`luckypixel676`, `e_davis`, `j.smith`): letters,
    /// digits, `.`, `_`, `-`, a run of three letters; and how many share their leading
    /// letters with the most common such run (`CUST12345`: ids, not users).
    pub(super) username: usize,
    pub(super) common_lead: usize,
    pub(super) name: usize,
    /// Names written "Last, First".
    pub(super) last_first: usize,
    /// Address lines: words and a number.
    pub(super) street: usize,
    /// Street names by a street-type word.
    pub(super) street_word: usize,
    /// Values with a digit.
    pub(super) with_digit: usize,
    /// House numbers, and numbers of one to three digits (which no postal code has).
    pub(super) house: usize,
    pub(super) short_number: usize,
    /// Postal codes by shape, and those of a national pattern ids never have.
    pub(super) postal: usize,
    pub(super) postal_patterned: usize,
    /// Leading digits seen among postal codes of digits alone: postal codes spread over
    /// them, a table's own numbers mostly share the first.
    pub(super) postal_leads: u16,
    pub(super) postal_digits: usize,
    /// Consecutive values of digits alone, and how many of them grow: ids of a table
    /// written in key order grow, house numbers and postal codes go up and down.
    pub(super) number_pairs: usize,
    pub(super) ascending: usize,
    /// Large cities.
    pub(super) city: usize,
    pub(super) tokens: usize,
    pub(super) distinct: usize,
    /// Dates in 2010 or later.
    pub(super) recent_dates: usize,
}

impl Stats {
    pub(super) fn share(&self, k: usize) -> f32 {
        if self.n == 0 {
            0.0
        } else {
            k as f32 / self.n as f32
        }
    }

    fn all_distinct(&self) -> bool {
        self.distinct * 100 >= self.n * 95
    }
}

/// Ten to twenty hex digits, or a prefix that says "order" (`ORD-`, `O-00012345`,
/// `INV-`, `#10234`, German `BST`, French `CMD`, Spanish `PED`).
fn looks_like_order_id(v: &str) -> bool {
    // Random hex has letters throughout; `C0000001` and `A00012345` are hex too, but a
    // letter and a number.
    let hex = (10..=20).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && v.bytes().filter(u8::is_ascii_alphabetic).count() >= 2
        && v.bytes().any(|b| b.is_ascii_digit());
    if hex {
        return true;
    }
    let up = v.to_ascii_uppercase();
    let after = |rest: &str, need_sep: bool| {
        let trimmed = rest.trim_start_matches(['-', '_', '#', ' ']);
        (!need_sep || trimmed.len() < rest.len())
            && trimmed.bytes().next().is_some_and(|b| b.is_ascii_digit())
    };
    ["ORDER", "ORD", "INV", "BST", "CMD", "PED", "TXN", "SO"]
        .iter()
        .any(|p| up.strip_prefix(p).is_some_and(|r| after(r, false)))
        || up.strip_prefix('O').is_some_and(|r| after(r, true))
        || up.strip_prefix('#').is_some_and(|r| after(r, false))
}

fn looks_like_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The prefix of an id of letters (`usr_pnpajbmsnx` → `usr`).
fn id_prefix(v: &str) -> Option<&str> {
    let (p, rest) = v.split_once(['_', '-'])?;
    ((2..=5).contains(&p.len())
        && p.bytes().all(|b| b.is_ascii_alphabetic())
        && (4..=30).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then_some(p)
}

/// Digits alone, 10 to 15 of them, that make a valid number with a `+` before them, or
/// ten that make a valid North American number (area code and exchange from 2 to 9, the
/// shape US exports write national numbers in).
fn looks_like_phone_digits(v: &str) -> bool {
    let b = v.as_bytes();
    if !(10..=15).contains(&b.len()) || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let valid = |raw: &str, region| phone::canonical(raw, region).is_some_and(|p| p.valid);
    valid(&format!("+{v}"), None)
        || (b.len() == 10 && b[0] >= b'2' && b[3] >= b'2' && valid(v, country::region("US")))
}

/// Whether a value is an id a system numbered (see [`Stats::system_id`]).
fn looks_like_system_id(v: &str) -> bool {
    let letters = v.bytes().take_while(u8::is_ascii_alphabetic).count();
    let rest = v[letters..].trim_start_matches(['-', '_']);
    (letters <= 4 && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        || looks_like_uuid(v)
        || looks_like_order_id(v)
}

/// A user name's shape, and its leading letters.
fn username_lead(v: &str) -> Option<&str> {
    let ok = (3..=32).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && v.as_bytes()
            .windows(3)
            .any(|w| w.iter().all(u8::is_ascii_alphabetic));
    let lead = v.bytes().take_while(u8::is_ascii_alphabetic).count();
    ok.then(|| &v[..lead])
}

/// Sums up the values of column `i` of `rows` (blank cells and null placeholders left out).
pub(super) fn stats(rows: &[Vec<String>], i: usize) -> Stats {
    let mut s = Stats::default();
    let mut seen = HashSet::new();
    let mut prefixes: HashMap<&str, usize> = HashMap::new();
    let mut leads: HashMap<&str, usize> = HashMap::new();
    let mut previous: Option<u64> = None;
    for v in rows
        .iter()
        .filter_map(|r| r.get(i))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && !breachcheck_normalize::is_null_placeholder(v))
    {
        s.n += 1;
        // The shapes of numbers, dates and e-mail addresses are read on the value's ASCII
        // forms: full-width and other scripts' digits and punctuation as ASCII's (a
        // Japanese export's `１００－０００１` is a postal code, as `100-0001` is).
        let pv = breachcheck_normalize::ascii_forms(v);
        let a: &str = &pv;
        s.email += usize::from(email::looks_like(v));
        let ip = looks_like_ip(a);
        let national_id = !ip && looks_like_national_id(a);
        let zip = zip_shape(a);
        s.ip += usize::from(ip);
        s.national_id += usize::from(national_id);
        s.zip += usize::from(zip.is_some());
        s.zip4 += usize::from(zip == Some(true));
        let epoch = looks_like_epoch(a);
        s.epoch_ms += usize::from(epoch && a.len() == 13);
        s.epoch_s += usize::from(epoch && a.len() == 10);
        // Numbers with phone punctuation that are not phones.
        // `831-1859` is a Japanese postal code and a US local number alike; numbers of
        // seven digits or fewer of a postal shape count as postal codes, which a city or
        // street beside them confirms (a local number without its area code is rare in a
        // customer table).
        let postal = places::postal_shape(a);
        let short_postal = postal.is_some() && a.bytes().filter(u8::is_ascii_digit).count() <= 7;
        let not_phone =
            ip || national_id || zip == Some(true) || epoch || looks_like_amount(a) || short_postal;
        let ph = !not_phone && phone::looks_like(a);
        s.phone += usize::from(ph);
        let marked =
            a.starts_with('+') || a.starts_with('0') || a.contains([' ', '-', '(', '/', '.']);
        s.phone_marked += usize::from(ph && marked);
        if !marked && a.bytes().all(|b| b.is_ascii_digit()) {
            s.digits_only += 1;
            s.phone_digits += usize::from(ph && looks_like_phone_digits(a));
        }
        let is_date = date::looks_like(a);
        s.date += usize::from(is_date);
        if is_date {
            let year = date::canonical(a, false)
                .and_then(|d| d.get(..4).and_then(|y| y.parse::<u32>().ok()));
            s.recent_dates += usize::from(year.is_some_and(|y| y >= 2010));
        }
        s.country += usize::from(country::looks_like(v));
        s.hash += usize::from(looks_like_hash(v));
        let id = looks_like_id(v);
        s.id += usize::from(id);
        s.system_id += usize::from(looks_like_system_id(v));
        if let Some(lead) = username_lead(v) {
            s.username += 1;
            if !lead.is_empty() && leads.len() < 1000 {
                *leads.entry(lead).or_insert(0) += 1;
            }
        }
        if id {
            s.order_id += usize::from(looks_like_order_id(v));
            s.uuid += usize::from(looks_like_uuid(v));
        } else if let Some(p) = id_prefix(v) {
            if prefixes.len() < 1000 {
                *prefixes.entry(p).or_insert(0) += 1;
            }
        }
        let is_name = name::looks_like(v);
        s.name += usize::from(is_name);
        if is_name {
            s.city += usize::from(places::is_known_city(v));
        } else {
            s.last_first += usize::from(places::is_last_comma_first(v));
        }
        // `SW1A 1AA` has words and a number too.
        s.street += usize::from(looks_like_street(v) && postal.is_none());
        let with_digit = a.bytes().any(|b| b.is_ascii_digit());
        s.with_digit += usize::from(with_digit);
        if v.chars().any(char::is_alphabetic) {
            s.street_word += usize::from(places::has_street_word(v));
        }
        if with_digit {
            s.house += usize::from(places::is_house_number(a));
            let digits_only = a.bytes().all(|b| b.is_ascii_digit());
            s.short_number += usize::from(digits_only && a.len() <= 3);
            match postal {
                Some(PostalShape::Patterned) => {
                    s.postal += 1;
                    s.postal_patterned += 1;
                }
                Some(PostalShape::Digits(_)) => {
                    s.postal += 1;
                    s.postal_digits += 1;
                    if let Some(d) = a.bytes().next().filter(u8::is_ascii_digit) {
                        s.postal_leads |= 1 << (d - b'0');
                    }
                }
                None => {}
            }
            if digits_only && a.len() <= 18 {
                if let Ok(x) = a.parse::<u64>() {
                    if let Some(p) = previous {
                        s.number_pairs += 1;
                        s.ascending += usize::from(x > p);
                    }
                    previous = Some(x);
                }
            }
        }
        s.tokens += v.split_whitespace().count();
        if seen.len() < 100_000 {
            seen.insert(v);
        }
    }
    s.prefixed_id = prefixes.values().copied().max().unwrap_or(0);
    s.common_lead = leads.values().copied().max().unwrap_or(0);
    s.distinct = seen.len();
    s
}

/// What a column's values say on their own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Guess {
    /// A role the values settle, with its confidence.
    Role(FieldRole, f32),
    /// Identifiers a system gave: `order` when shaped like order numbers, `weak` when they
    /// could as well be Unix times (an id only when the table has no other), `uuid` when
    /// UUIDs (which number customers more often than orders).
    Id { order: bool, weak: bool, uuid: bool },
    /// Numbers of one to four digits that go up and down: house numbers beside a street,
    /// else quantities or the like.
    Small,
    /// Postal codes: `patterned` when some have a national shape no id has, else digits
    /// alone, whose `spread` over leading digits tells them from a table's own numbers.
    Postal { patterned: bool, spread: bool },
    /// Words of letters: a name or a place. `tokens` is the mean number of words, `city`
    /// the share of large cities.
    Words { tokens: f32, city: f32 },
    /// Nothing that identifies a person, with the confidence of that.
    Nothing(f32),
}

/// Reads one column's values on their own: what they are, best first, then what they may
/// be instead when their neighbours or the other columns say otherwise (six digits no
/// street or city stands beside are a table's own numbers, not postal codes). A shape
/// that settles a role has no second guess but nothing: a second column of phones is no
/// column of ids. Never empty.
pub(super) fn guess(s: &Stats) -> Vec<Guess> {
    use FieldRole as R;
    let sh = |k| s.share(k);
    if s.n == 0 {
        return vec![Guess::Nothing(0.3)];
    }
    let numbers_grow = s.number_pairs >= 4 && s.ascending * 10 >= s.number_pairs * 9;
    // Digits alone count as a phone's mark when nearly all of them are valid numbers, or
    // beside national numbers with their trunk 0: a third of random ten-digit ids are
    // valid North American numbers too.
    let marked = s.phone_marked
        + if s.phone_digits * 10 >= s.digits_only * 8 || s.phone_marked * 10 >= s.n {
            s.phone_digits
        } else {
            0
        };
    let settled = if sh(s.email) >= 0.8 {
        Some(Guess::Role(R::Email, sh(s.email)))
    } else if sh(s.hash) >= 0.8 {
        Some(Guess::Role(R::PasswordHash, sh(s.hash)))
    } else if sh(s.ip) >= 0.8 {
        // Where an account was used from: no identity of the person.
        Some(Guess::Role(R::Ignore, sh(s.ip)))
    } else if sh(s.national_id) >= 0.8 {
        Some(Guess::Role(R::NationalId, 0.9 * sh(s.national_id)))
    } else if sh(s.epoch_ms) >= 0.8 {
        // When something happened, in milliseconds (ten-digit seconds are left to the
        // id rules below: customer numbers are often ten digits starting with 1).
        Some(Guess::Role(R::Ignore, 0.6))
    } else if sh(s.zip) >= 0.8 && s.zip4 * 5 >= s.n {
        // Five digits alone could be an id; ZIP+4 among them makes them ZIP codes.
        Some(Guess::Role(R::PostalCode, 0.8 * sh(s.zip)))
    } else if sh(s.date) >= 0.8 && s.recent_dates * 2 < s.date {
        // Dates of birth lie well in the past; a column of recent dates is when an
        // account was made or last used.
        Some(Guess::Role(R::BirthDate, 0.7 * sh(s.date)))
    } else if sh(s.date) >= 0.8 {
        Some(Guess::Role(R::Ignore, 0.6))
    } else if sh(s.phone) >= 0.8 && sh(marked) >= 0.5 && !numbers_grow {
        Some(Guess::Role(R::Phone, sh(marked).min(1.0)))
    } else if sh(s.country) >= 0.8 {
        Some(Guess::Role(R::Country, 0.9 * sh(s.country)))
    } else if sh(s.last_first) >= 0.6 {
        // "Yıldız, Mehmet": the comma fails the name test, the whole is one name.
        Some(Guess::Role(
            R::FullName,
            0.8 * sh(s.last_first + s.name).min(1.0),
        ))
    } else if sh(s.street) >= 0.7
        || (sh(s.street_word) >= 0.5 && sh(s.with_digit) >= 0.5 && sh(s.street) >= 0.4)
    {
        Some(Guess::Role(
            R::Address,
            0.7 * sh(s.street).max(sh(s.street_word)),
        ))
    } else if sh(s.street_word) >= 0.5 && sh(s.with_digit) < 0.3 {
        // Street names without their numbers: "ulica Długa", "Station Road".
        Some(Guess::Role(R::Street, 0.5 + 0.4 * sh(s.street_word)))
    } else {
        None
    };
    if let Some(g) = settled {
        // A second column of a settled shape (another phone, another e-mail) is no id or
        // name either.
        return vec![g, Guess::Nothing(0.3)];
    }
    let mut out: Vec<Guess> = Vec::new();
    // Numbers and ids: postal codes and house numbers where their neighbours say so,
    // else a table's own numbers.
    let patterned = sh(s.postal) >= 0.8 && s.postal_patterned * 10 >= s.n;
    if patterned {
        out.push(Guess::Postal {
            patterned: true,
            spread: true,
        });
    }
    let small = sh(s.house) >= 0.8 && s.short_number * 10 >= s.n * 3 && !numbers_grow;
    if small {
        out.push(Guess::Small);
    }
    if sh(s.postal) >= 0.8 && s.postal_patterned * 10 < s.n && !small && !numbers_grow {
        out.push(Guess::Postal {
            patterned: false,
            spread: s.postal_digits >= 20 && s.postal_leads.count_ones() >= 4,
        });
    }
    if out.is_empty()
        && sh(s.username) >= 0.8
        && sh(s.name) < 0.5
        && sh(s.system_id) < 0.5
        && sh(s.prefixed_id.max(s.common_lead)) < 0.8
        && s.all_distinct()
    {
        // `luckypixel676`, `e_davis`: user names, unless one prefix runs through them.
        out.push(Guess::Role(R::Username, 0.5));
    }
    // Small numbers that repeat are counts or ages, and `72-029` a postal code, not ids.
    if sh(s.id + s.prefixed_id) >= 0.9 && (!small || s.all_distinct()) && !patterned {
        out.push(Guess::Id {
            order: sh(s.order_id) >= 0.8,
            weak: sh(s.epoch_s) >= 0.8,
            uuid: sh(s.uuid) >= 0.8,
        });
    }
    if out.is_empty() {
        if s.n >= 30 && s.distinct <= 6 && sh(s.city) < 0.5 {
            // A handful of values over many rows is a category (title, gender, status),
            // never a name — but can be the cities of a local business.
            out.push(Guess::Role(R::Ignore, 0.7));
        } else if sh(s.name) >= 0.8 {
            out.push(Guess::Words {
                tokens: s.tokens as f32 / s.n as f32,
                city: sh(s.city),
            });
        }
    }
    out.push(Guess::Nothing(0.3));
    out
}

/// Roles a record has once: a second column taking one of them gets its next-best role or
/// none. An address line, a region, a user name or a password may come twice.
fn once_per_record(role: FieldRole) -> bool {
    use FieldRole as R;
    matches!(
        role,
        R::Email
            | R::Phone
            | R::FirstName
            | R::LastName
            | R::FullName
            | R::Street
            | R::HouseNumber
            | R::PostalCode
            | R::City
            | R::Country
            | R::BirthDate
            | R::CustomerId
            | R::OrderId
            | R::NationalId
    )
}

/// The columns being given roles: which are settled, and what each may hold.
struct Table<'a> {
    cols: &'a mut [Column],
    /// Content columns not yet given a role.
    open: Vec<bool>,
    /// Each content column's guesses, best first (none for a header's column), and the
    /// one it is at.
    guesses: Vec<Vec<Guess>>,
    at: Vec<usize>,
}

impl Table<'_> {
    fn taken(&self, role: FieldRole) -> bool {
        self.cols
            .iter()
            .zip(&self.open)
            .any(|(c, open)| !open && c.role == role)
    }

    fn role_at(&self, i: Option<usize>) -> Option<FieldRole> {
        let i = i?;
        let c = self.cols.get(i)?;
        (!self.open[i]).then_some(c.role)
    }

    fn neighbours(&self, i: usize) -> [Option<FieldRole>; 2] {
        [self.role_at(i.checked_sub(1)), self.role_at(Some(i + 1))]
    }

    /// The guess an open column is at.
    fn guess(&self, i: usize) -> Option<Guess> {
        if !self.open.get(i).copied().unwrap_or(false) {
            return None;
        }
        self.guesses.get(i)?.get(self.at[i]).copied()
    }

    fn close(&mut self, i: usize, role: FieldRole, confidence: f32) {
        self.cols[i].role = role;
        self.cols[i].confidence = confidence;
        self.cols[i].source = RoleSource::Content;
        self.open[i] = false;
    }

    /// Gives column `i` `role`, or `other` when a record has `role` already (a second
    /// id column is the other id); when it has both, the column moves on to its next
    /// guess.
    fn set(&mut self, i: usize, role: FieldRole, confidence: f32, other: Option<FieldRole>) {
        match [Some(role), other]
            .into_iter()
            .flatten()
            .find(|r| !once_per_record(*r) || !self.taken(*r))
        {
            Some(r) => self.close(i, r, confidence),
            None => self.next_guess(i),
        }
    }

    /// Moves column `i` on to its next guess: a settled role is given at once, anything
    /// else waits for its pass.
    fn next_guess(&mut self, i: usize) {
        self.at[i] += 1;
        match self.guess(i) {
            Some(Guess::Role(r, c)) => self.set(i, r, c, None),
            Some(Guess::Nothing(c)) => self.close(i, FieldRole::Ignore, c),
            None => self.close(i, FieldRole::Ignore, 0.3),
            Some(_) => {}
        }
    }
}

/// Gives the columns without a trusted header (`guesses[i]` is `Some`) their roles, the
/// settled shapes first, then what neighbours decide: house numbers beside a street,
/// postal codes, ids, then names and places.
pub(super) fn assign(cols: &mut [Column], guesses: Vec<Option<Vec<Guess>>>, stats: &[Stats]) {
    use FieldRole as R;
    let width = guesses.len();
    let open = guesses.iter().map(Option::is_some).collect();
    let guesses: Vec<Vec<Guess>> = guesses.into_iter().map(Option::unwrap_or_default).collect();
    let mut t = Table {
        cols,
        open,
        at: vec![0; width],
        guesses,
    };

    // Settled shapes, the surest first.
    let mut settled: Vec<(usize, FieldRole, f32)> = (0..width)
        .filter_map(|i| match t.guess(i) {
            Some(Guess::Role(r, c)) => Some((i, r, c)),
            _ => None,
        })
        .collect();
    settled.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    for (i, r, c) in settled {
        t.set(i, r, c, None);
    }

    // Large cities.
    let mut cities: Vec<(usize, f32)> = (0..width)
        .filter_map(|i| match t.guess(i) {
            Some(Guess::Words { city, tokens }) if city >= 0.25 && tokens < 1.7 => Some((i, city)),
            _ => None,
        })
        .collect();
    cities.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(&(i, share)) = cities.first() {
        if !t.taken(R::City) {
            t.set(i, R::City, 0.6 + 0.3 * share, None);
        }
    }

    // Numbers: postal codes of a national shape and house numbers beside a street; then
    // digits that are postal codes by their spread, or by their place beside a city or
    // after a street. What is left is a table's own numbers, or nothing.
    for i in 0..width {
        match t.guess(i) {
            Some(Guess::Postal {
                patterned: true, ..
            }) => t.set(i, R::PostalCode, 0.8, None),
            Some(Guess::Small) => {
                if t.neighbours(i).contains(&Some(R::Street)) {
                    t.set(i, R::HouseNumber, 0.6, None);
                } else {
                    t.next_guess(i);
                }
            }
            _ => {}
        }
    }
    for i in 0..width {
        let Some(Guess::Postal {
            patterned: false,
            spread,
        }) = t.guess(i)
        else {
            continue;
        };
        let [before, after] = t.neighbours(i);
        let after_street = matches!(before, Some(R::Street | R::Address | R::HouseNumber));
        let by_city = before == Some(R::City) || after == Some(R::City);
        let place_follows = matches!(t.guess(i + 1), Some(Guess::Words { .. }))
            && (0..i).any(|j| matches!(t.role_at(Some(j)), Some(R::Street | R::Address)));
        if (spread || after_street || by_city || place_follows) && !t.taken(R::PostalCode) {
            t.set(i, R::PostalCode, if spread { 0.6 } else { 0.5 }, None);
        } else {
            t.next_guess(i);
        }
    }

    assign_ids(&mut t, stats);
    assign_words(&mut t);

    for i in 0..width {
        if t.open[i] {
            let c = match t.guess(i) {
                Some(Guess::Nothing(c)) => c,
                _ => 0.3,
            };
            t.close(i, R::Ignore, c);
        }
    }
}

/// Ids: shaped like order numbers → order id; of the others, the one most like a
/// customer number (a UUID, repeating across rows, else the later column: a table of
/// orders starts with its own key) → customer id and the next → order id. Never two
/// columns of one: in a table of orders both are ids, and reading the order number as
/// the customer's made every line of a genuine copy disagree. Ids that could be Unix
/// times are one only when the table has no other id.
fn assign_ids(t: &mut Table<'_>, stats: &[Stats]) {
    use FieldRole as R;
    let ids: Vec<(usize, bool, bool, bool)> = (0..t.cols.len())
        .filter_map(|i| match t.guess(i) {
            Some(Guess::Id { order, weak, uuid }) => Some((i, order, weak, uuid)),
            _ => None,
        })
        .collect();
    let confidence = |i: usize| {
        if stats.get(i).is_some_and(Stats::all_distinct) {
            0.5
        } else {
            0.4
        }
    };
    for &(i, order, weak, _) in &ids {
        if order && !weak {
            t.set(i, R::OrderId, 0.7, Some(R::CustomerId));
        }
    }
    // Most like a customer number first: a UUID, then values that repeat (a customer
    // has several orders), then the later column (the customer's id is the order's
    // reference to another table, after the order's own key).
    let mut rest: Vec<(usize, bool)> = ids
        .iter()
        .filter(|x| t.open[x.0] && !x.2)
        .map(|x| (x.0, x.3))
        .collect();
    let repeats = |i: usize| stats.get(i).is_some_and(|s| s.distinct * 20 < s.n * 19);
    rest.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(repeats(b.0).cmp(&repeats(a.0)))
            .then(b.0.cmp(&a.0))
    });
    for (k, &(i, _)) in rest.iter().enumerate() {
        let (role, other) = if k == 0 {
            (R::CustomerId, R::OrderId)
        } else {
            (R::OrderId, R::CustomerId)
        };
        t.set(i, role, confidence(i), Some(other));
    }
    for &(i, _, weak, _) in &ids {
        if weak && t.open[i] {
            if rest.is_empty() && !t.taken(R::CustomerId) {
                t.set(i, R::CustomerId, 0.4, None);
            } else {
                t.close(i, R::Ignore, 0.6);
            }
        }
    }
}

/// Words: names and places. A column of words is a city after the street or beside the
/// postal code; a column of several words a full name; single words beside each other a
/// first and a last name, and once a name is whole (or first and last are given) the
/// next column of words is a city. Never two first names: a second column of given-name
/// guesses is the city of a directory (`Name|City|Phone`).
fn assign_words(t: &mut Table<'_>) {
    use FieldRole as R;
    let mut singles = Vec::new();
    for i in 0..t.cols.len() {
        let Some(Guess::Words { tokens, .. }) = t.guess(i) else {
            continue;
        };
        let [before, after] = t.neighbours(i);
        let after_address = (0..i).any(|j| {
            matches!(
                t.role_at(Some(j)),
                Some(R::Street | R::Address | R::HouseNumber)
            )
        });
        let by_postal = before == Some(R::PostalCode) || after == Some(R::PostalCode);
        if (after_address || by_postal) && tokens < 1.7 && !t.taken(R::City) {
            t.set(i, R::City, 0.5, None);
        } else if tokens >= 1.7 {
            t.set(i, R::FullName, 0.5, None);
        } else {
            singles.push(i);
        }
    }
    if t.taken(R::FullName) {
        for i in singles {
            t.set(i, R::City, 0.5, None);
        }
        return;
    }
    let mut k = 0;
    while let Some(&i) = singles.get(k) {
        let next = singles.get(k + 1).copied().filter(|j| *j == i + 1);
        if let Some(j) = next {
            if !t.taken(R::FirstName) && !t.taken(R::LastName) {
                t.set(i, R::FirstName, 0.5, None);
                t.set(j, R::LastName, 0.5, None);
                k += 2;
                continue;
            }
        }
        let role = match (t.taken(R::FirstName), t.taken(R::LastName)) {
            (false, _) => R::FirstName,
            (true, false) => R::LastName,
            (true, true) => R::City,
        };
        t.set(i, role, 0.5, Some(R::City));
        k += 1;
    }
}

/// Whether a column's content role rests on a shape no password or user name has, so
/// that a combolist's columns around its e-mail keep it: national identifiers (checked
/// ranges and check letters; lists of e-mails with social security numbers are sold too),
/// phones, dates of birth, countries, names of several words (`email|phone|name` is a
/// contact list), addresses, postal codes, ids a system numbered (`103940`, `C0021814`),
/// and words that repeat as names and cities do (passwords of a list rarely repeat).
pub(super) fn not_a_password(role: FieldRole, s: &Stats) -> bool {
    use FieldRole as R;
    let sh = |k| s.share(k);
    // When something happened, where from: no password either.
    if sh(s.date.max(s.ip).max(s.epoch_s).max(s.epoch_ms)) >= 0.8 {
        return true;
    }
    match role {
        R::NationalId
        | R::Phone
        | R::BirthDate
        | R::Country
        | R::FullName
        | R::Address
        | R::Street
        | R::PostalCode => true,
        R::CustomerId | R::OrderId => sh(s.system_id) >= 0.9,
        R::FirstName | R::LastName | R::City => {
            sh(s.city) >= 0.25 || (s.n >= 20 && s.distinct * 10 <= s.n * 7)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::infer;
    use super::*;
    use FieldRole as R;

    /// Roles of a header-less table of `n` rows, one generator per column.
    fn roles(n: usize, gens: &[&dyn Fn(usize) -> String]) -> Vec<FieldRole> {
        let rows: Vec<Vec<String>> = (0..n)
            .map(|i| gens.iter().map(|g| g(i)).collect())
            .collect();
        infer(&[], &rows, gens.len())
            .iter()
            .map(|c| c.role)
            .collect()
    }

    /// A cheap scramble, so that values do not follow the row number.
    fn mix(i: usize, salt: usize) -> usize {
        let mut x = (i as u64 ^ (salt as u64).rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^= x >> 29;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        (x ^ (x >> 32)) as usize
    }

    fn pick<'a>(xs: &[&'a str], i: usize, salt: usize) -> &'a str {
        xs[mix(i, salt) % xs.len()]
    }

    const FIRST: &[&str] = &[
        "Łukasz",
        "María",
        "Oliver",
        "Mehmet",
        "Anna",
        "Jürgen",
        "Chloé",
        "Barbara",
        "Иван",
        "さくら",
        "Rahul",
        "Emre",
        "Sofía",
        "Giulia",
    ];
    const LAST: &[&str] = &[
        "Nowak",
        "García",
        "Smith",
        "Yıldız",
        "Müller",
        "Dubois",
        "Flores",
        "Иванов",
        "佐藤",
        "Sharma",
        "Kaya",
        "Rossi",
        "De Luca",
        "O'Brien",
    ];
    const STREETS: &[&str] = &[
        "ulica Długa",
        "Calle de Alcalá",
        "Station Road",
        "Тверская улица",
        "Hauptstraße",
        "Via Roma",
        "rue de la Paix",
        "Atatürk Caddesi",
        "Rua das Flores",
        "中山路",
        "Park Avenue",
        "Goethestr.",
    ];
    const CITIES: &[&str] = &[
        "Warszawa",
        "Madrid",
        "Leeds",
        "Москва",
        "Köln",
        "Roma",
        "Lyon",
        "İzmir",
        "Salvador",
        "北京",
        "Springfield",
        "Belo Horizonte",
    ];
    /// Towns of no list: the place of a column of them must tell them from names.
    const TOWNS: &[&str] = &[
        "Riverside",
        "Fairview",
        "Oakdale",
        "Millbrook",
        "Kingsport",
        "Ashland",
        "Clinton",
        "Georgetown",
        "Salem",
        "Franklin",
    ];
    const COUNTRIES: &[&str] = &["PL", "ES", "GB", "RU", "DE", "IT", "FR", "TR", "BR", "CN"];

    fn digits(i: usize, salt: usize, n: u32) -> String {
        format!("{:0w$}", mix(i, salt) % 10usize.pow(n), w = n as usize)
    }

    /// Postal codes of many countries: `72-029`, `644770`, `365895`, `SW1A 1AA`, 5 digits.
    fn postal(i: usize) -> String {
        match mix(i, 7) % 5 {
            0 => format!("{}-{}", digits(i, 1, 2), digits(i, 2, 3)),
            1 => digits(i, 3, 6),
            2 => format!("GM{} {}TW", 1 + i % 9, i % 10),
            3 => format!("{} {}", digits(i, 4, 3), digits(i, 5, 2)),
            _ => digits(i, 6, 5),
        }
    }

    fn house(i: usize) -> String {
        let n = 1 + mix(i, 8) % 240;
        if i.is_multiple_of(17) {
            format!("{n}a")
        } else {
            n.to_string()
        }
    }

    fn phone(i: usize) -> String {
        format!(
            "+48 59 {} {} {}",
            digits(i, 9, 3),
            digits(i, 10, 2),
            digits(i, 11, 2)
        )
    }

    /// Case 1: a MySQL dump of a webshop's orders without column names.
    #[test]
    fn a_webshop_table_without_column_names() {
        let hex = |i: usize| format!("{:012x}", mix(i, 12) & 0xffff_ffff_ffff);
        let cust = |i: usize| format!("C{:07}", 21_814 + i * 3);
        let want = [
            R::OrderId,
            R::CustomerId,
            R::FirstName,
            R::LastName,
            R::Street,
            R::HouseNumber,
            R::PostalCode,
            R::City,
            R::Country,
            R::Phone,
        ];
        let got = roles(
            200,
            &[
                &hex,
                &cust,
                &|i| pick(FIRST, i, 1).to_owned(),
                &|i| pick(LAST, i, 2).to_owned(),
                &|i| pick(STREETS, i, 3).to_owned(),
                &house,
                &postal,
                &|i| pick(CITIES, i, 4).to_owned(),
                &|i| pick(COUNTRIES, i, 5).to_owned(),
                &phone,
            ],
        );
        assert_eq!(got, want);
        // The same with the customer id first, dashed order numbers and a UUID customer.
        let dashed = |i: usize| format!("O-{:08}", 12_345 + i);
        let uuid = |i: usize| {
            format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                mix(i, 1) as u32,
                mix(i, 2) as u16,
                mix(i, 3) % 4096,
                mix(i, 4) % 4096,
                mix(i, 5) & 0xffff_ffff_ffff
            )
        };
        for (a, b, ra, rb) in [
            (
                &cust as &dyn Fn(usize) -> String,
                &dashed as &dyn Fn(usize) -> String,
                R::CustomerId,
                R::OrderId,
            ),
            (&dashed, &cust, R::OrderId, R::CustomerId),
            (
                &uuid,
                &|i: usize| (50_000_000 + i).to_string(),
                R::CustomerId,
                R::OrderId,
            ),
            (
                &|i: usize| (50_000_000 + i).to_string(),
                &|i: usize| (100_000 + i / 3).to_string(),
                R::OrderId,
                R::CustomerId,
            ),
        ] {
            let got = roles(100, &[a, b, &|i| pick(FIRST, i, 1).to_owned()]);
            assert_eq!(got[..2], [ra, rb]);
        }
    }

    /// One-line addresses, and house numbers that are postal-code shaped.
    #[test]
    fn streets_house_numbers_and_addresses() {
        let got = roles(
            120,
            &[
                &|i| pick(FIRST, i, 1).to_owned(),
                &|i| pick(LAST, i, 2).to_owned(),
                &|i| format!("{} {}", pick(STREETS, i, 3), house(i)),
                &postal,
                &|i| pick(CITIES, i, 4).to_owned(),
            ],
        );
        assert_eq!(
            got,
            [
                R::FirstName,
                R::LastName,
                R::Address,
                R::PostalCode,
                R::City
            ]
        );
        // German-only: four- and five-digit postal codes of digits alone beside house
        // numbers of one to three digits; house number before the street.
        let got = roles(
            120,
            &[
                &house,
                &|i| {
                    pick(
                        &["Hauptstraße", "Gartenweg", "Lindenallee", "Am Kirchplatz"],
                        i,
                        3,
                    )
                    .to_owned()
                },
                &|i| digits(i, 6, 5),
                &|i| {
                    pick(
                        &[
                            "Berlin",
                            "Hamburg",
                            "Bad Homburg",
                            "Wolfsburg",
                            "Halle (Saale)",
                            "Jena",
                            "Gießen",
                            "Neuss",
                        ],
                        i,
                        4,
                    )
                    .to_owned()
                },
            ],
        );
        assert_eq!(got, [R::HouseNumber, R::Street, R::PostalCode, R::City]);
        // Numbers without a street beside them are no house numbers.
        let got = roles(
            120,
            &[
                &|i| format!("user{i}@example.org"),
                &|i| pick(FIRST, i, 1).to_owned(),
                &|i| pick(LAST, i, 2).to_owned(),
                &house,
            ],
        );
        assert_eq!(got, [R::Email, R::FirstName, R::LastName, R::Ignore]);
    }

    /// Case 2: a directory `Last, First|City|Phone`.
    #[test]
    fn a_directory_of_reversed_names() {
        let phones = |i: usize| {
            if i.is_multiple_of(2) {
                format!(
                    "0502 {} {} {}",
                    digits(i, 1, 3),
                    digits(i, 2, 2),
                    digits(i, 3, 2)
                )
            } else {
                format!("(203) {}-{}", 200 + mix(i, 4) % 800, digits(i, 5, 4))
            }
        };
        let towns = [
            "İzmir",
            "Riverside",
            "Fairview",
            "Greenville",
            "Ankara",
            "Dover",
            "Salem",
            "Clinton",
            "Bristol",
            "Ashland",
        ];
        for style in 0..4 {
            let name = |i: usize| {
                let (l, f) = (pick(LAST, i, 2), pick(FIRST, i, 1));
                match style {
                    0 => format!("{l}, {f}"),
                    1 => format!("{}, {f}", l.to_uppercase()),
                    2 => format!("van der {l}, {f}"),
                    _ => format!("{l},{f}"),
                }
            };
            let got = roles(150, &[&name, &|i| pick(&towns, i, 3).to_owned(), &phones]);
            assert_eq!(got, [R::FullName, R::City, R::Phone], "style {style}");
        }
        // A small directory of unknown towns: the second column of words is no second name.
        let got = roles(
            12,
            &[
                &|i| format!("{} {}", pick(FIRST, i, 1), pick(LAST, i, 2)),
                &|i| pick(&["Riverside", "Fairview", "Oakdale"], i, 3).to_owned(),
                &phones,
            ],
        );
        assert_eq!(got, [R::FullName, R::City, R::Phone]);
        // "City, ST" is a place, not "Last, First".
        let got = roles(
            60,
            &[&|i| format!("user{i}@example.org"), &|i| {
                format!(
                    "{}, {}",
                    pick(&["Springfield", "Portland", "Dover"], i, 3),
                    pick(&["IL", "OR", "DE"], i, 4)
                )
            }],
        );
        assert_ne!(got[1], R::FullName);
    }

    #[test]
    fn cities_are_not_first_names() {
        // Large cities after an e-mail: a city, though no address is beside it.
        let got = roles(
            80,
            &[&|i| format!("user{i}@example.org"), &|i| {
                pick(CITIES, i, 4).to_owned()
            }],
        );
        assert_eq!(got, [R::Email, R::City]);
        // First and last name, then a city of unknown towns: never two first names.
        let got = roles(
            80,
            &[
                &|i| pick(FIRST, i, 1).to_owned(),
                &|i| pick(LAST, i, 2).to_owned(),
                &|i| format!("user{i}@example.org"),
                &|i| pick(TOWNS, i, 3).to_owned(),
            ],
        );
        assert_eq!(got, [R::FirstName, R::LastName, R::Email, R::City]);
        // A name column and a city column that are not neighbours.
        let got = roles(
            80,
            &[
                &|i| pick(FIRST, i, 1).to_owned(),
                &|i| format!("user{i}@example.org"),
                &|i| pick(CITIES, i, 4).to_owned(),
            ],
        );
        assert_eq!(got, [R::FirstName, R::Email, R::City]);
    }

    #[test]
    fn a_role_of_one_per_record_goes_to_one_column() {
        let got = roles(
            60,
            &[
                &|i| format!("user{i}@example.org"),
                &phone,
                &|i| {
                    format!(
                        "+34 6{} {} {}",
                        digits(i, 1, 2),
                        digits(i, 2, 3),
                        digits(i, 3, 3)
                    )
                },
                &|i| format!("other{i}@example.net"),
            ],
        );
        assert_eq!(got, [R::Email, R::Phone, R::Ignore, R::Ignore]);
        // Three id columns: customer, order, and nothing.
        let got = roles(
            60,
            &[
                &|i| (100_000 + i).to_string(),
                &|i| format!("O-{:08}", 500 + i),
                &|i| format!("K{:07}", 9_000 + i),
                &|i| pick(FIRST, i, 1).to_owned(),
            ],
        );
        let mut ids = got[..3].to_vec();
        ids.sort();
        assert_eq!(ids, [R::CustomerId, R::OrderId, R::Ignore], "{got:?}");
        let mut ones = got.clone();
        ones.retain(|r| once_per_record(*r));
        let distinct: HashSet<_> = ones.iter().collect();
        assert_eq!(distinct.len(), ones.len(), "{got:?}");
    }

    /// Ids numbered in order are ids, though short; Unix times beside an id are not.
    #[test]
    fn ids_times_and_phones_written_as_digits() {
        let got = roles(
            60,
            &[
                &|i| (1 + i).to_string(),
                &|i| format!("user{i}@example.org"),
                &|i| (1_600_000_000 + mix(i, 1) % 90_000_000).to_string(),
            ],
        );
        assert_eq!(got, [R::CustomerId, R::Email, R::Ignore]);
        // E.164 without its plus, US numbers without punctuation.
        let got = roles(
            60,
            &[
                &|i| format!("user{i}@example.org"),
                &|i| format!("49151{}", digits(i, 1, 8)),
                &|i| pick(FIRST, i, 1).to_owned(),
            ],
        );
        assert_eq!(got[1], R::Phone);
        let got = roles(
            60,
            &[&|i| format!("user{i}@example.org"), &|i| {
                format!(
                    "{}{}",
                    pick(&["202", "312", "415", "617"], i, 2),
                    2_000_000 + mix(i, 3) % 7_000_000
                )
            }],
        );
        assert_eq!(got[1], R::Phone);
    }

    /// A Japanese export's phone numbers in full-width digits and hyphens, an Egyptian one's
    /// in Arabic-Indic digits: phone columns, as their ASCII forms would be.
    #[test]
    fn phones_in_other_scripts_digits_are_phones() {
        let to = |s: String, zero: u32| -> String {
            s.chars()
                .map(|c| match (c, c.to_digit(10)) {
                    (_, Some(d)) => char::from_u32(zero + d).unwrap_or(c),
                    ('-', _) if zero == 0xFF10 => '－',
                    _ => c,
                })
                .collect()
        };
        let jp = |i: usize| format!("090-{}-{}", digits(i, 9, 4), digits(i, 10, 4));
        let eg = |i: usize| format!("010{} {} {}", i % 3, digits(i, 9, 3), digits(i, 10, 4));
        let full_width = |i: usize| to(jp(i), 0xFF10);
        let arabic_indic = |i: usize| to(eg(i), 0x0660);
        for column in [
            &jp as &dyn Fn(usize) -> String,
            &eg,
            &full_width,
            &arabic_indic,
        ] {
            let got = roles(
                100,
                &[
                    &|i| pick(FIRST, i, 1).to_owned(),
                    &|i| pick(LAST, i, 2).to_owned(),
                    column,
                ],
            );
            assert_eq!(got, [R::FirstName, R::LastName, R::Phone], "{}", column(1));
        }
        // Japanese postal codes (`100-0001`) are not phones in full-width digits either:
        // the shapes that keep numbers out of the phone column read the ASCII forms too.
        let postal = |i: usize| format!("{}-{}", digits(i, 7, 3), digits(i, 8, 4));
        let postal_wide = |i: usize| to(postal(i), 0xFF10);
        let city = |i: usize| pick(CITIES, i, 4).to_owned();
        let ascii = roles(100, &[&|i| pick(LAST, i, 2).to_owned(), &postal, &city]);
        let wide = roles(
            100,
            &[&|i| pick(LAST, i, 2).to_owned(), &postal_wide, &city],
        );
        assert_ne!(ascii[1], R::Phone);
        assert_eq!(wide, ascii, "{}", postal_wide(1));
    }

    #[test]
    fn combolists_keep_what_no_password_looks_like() {
        let got = roles(
            60,
            &[
                &|i| (100_000 + i * 7).to_string(),
                &|i| format!("user{i}@example.org"),
                &|i| pick(LAST, i, 2).to_owned(),
            ],
        );
        assert_eq!(got, [R::CustomerId, R::Email, R::FirstName]);
        let got = roles(
            60,
            &[&|i| format!("user{i}@example.org"), &|i| {
                format!("{} {}", pick(FIRST, i, 1), pick(LAST, i, 2))
            }],
        );
        assert_eq!(got, [R::Email, R::FullName]);
        // User names before the e-mail, passwords after it.
        let got = roles(
            60,
            &[
                &|i| {
                    format!(
                        "{}_{}{}",
                        pick(&["lucky", "dark", "red"], i, 1),
                        pick(&["pixel", "fox", "owl"], i, 2),
                        i
                    )
                },
                &|i| format!("user{i}@example.org"),
                &|i| {
                    format!(
                        "{}{}",
                        pick(&["Sunshine", "qwerty", "dragon"], i, 3),
                        mix(i, 4) % 1000
                    )
                },
            ],
        );
        assert_eq!(got, [R::Username, R::Email, R::PasswordHash]);
    }
}
