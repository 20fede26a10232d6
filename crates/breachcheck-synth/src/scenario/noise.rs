//! What a seller does to a copy before posting it: case changes, reformatted phones,
//! transliterated names, swapped first and last names, typos, ids blanked or dropped.
use super::record::Rec;
use super::{pick, ColumnKind, PhoneStyle};
use rand::rngs::StdRng;
use rand::Rng;

/// What a seller did to a copy before posting it.
#[derive(Clone, Debug, Default)]
pub(super) struct Noise {
    upper_names: bool,
    lower_emails: bool,
    phone: Option<PhoneNoise>,
    translit: bool,
    swap_share: f64,
    typo_share: f64,
    blank_ids_share: f64,
    pub(super) drop_id_columns: bool,
}

#[derive(Clone, Copy, Debug)]
enum PhoneNoise {
    Compact,
    Dashes,
    Restyle(PhoneStyle),
}

impl Noise {
    /// Some of the things sellers do, relevant to `cols`.
    pub(super) fn draw(r: &mut StdRng, cols: &[ColumnKind]) -> Self {
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

    pub(super) fn describe(&self) -> Vec<String> {
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
    pub(super) fn apply_rec(&self, r: &mut StdRng, rec: &mut Rec) {
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
    pub(super) fn apply_cells(
        &self,
        r: &mut StdRng,
        cols: &[ColumnKind],
        cells: &mut [String],
        rec: &Rec,
    ) {
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
