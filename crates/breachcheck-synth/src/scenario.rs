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
mod format;
mod noise;
mod params;
mod record;

pub use format::{write_sample, SampleFormat};
pub use params::{
    Column, ColumnKind, CompanyParams, CountryStyle, DateStyle, EmailStyle, IdFormat,
    OrderIdFormat, PhoneStyle, SystemParams,
};

use crate::people::{digits, format_phone, letters, Contact, Person, Population, COUNTRIES};
use crate::Table;
use noise::Noise;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use record::{
    ascii_lower, created_at, fake_rec, fake_rec_in, iso3, phone_in_range, Rec, RESERVED_MAIL, WORDS,
};
use rlibphonenumber::PhoneNumberFormat;
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
        let home_index = COUNTRIES.iter().position(|c| c.iso == home);
        let canaries = (0..params.canaries as u64)
            .map(|i| {
                // People of the range's country, as a company planting them would choose.
                let mut rec = fake_rec_in(&mut r, 0.0, home_index);
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
        let Some(p) = people.choose(r) else {
            // A company without customers: nobody to share.
            return fake_rec(r, 0.5);
        };
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
