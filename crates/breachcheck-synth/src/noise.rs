//! What a seller does to the rows of a copy before posting it: the noise fuzzy linkage
//! has to see through. Used by the bench (`--noise`) and the scenario tests.

/// What a seller does to a copied row, varied by row number `i`: a typo in the first name
/// (half the rows), stripped diacritics or a typo in the last name, first and last name
/// swapped (one in ten), phones without spaces or with dashes, dates day-first with
/// slashes (one in four), the customer id left out (one in three). E-mails are left as
/// copied.
pub fn seller_noise(columns: &[&str], mut cells: Vec<String>, i: usize) -> Vec<String> {
    let col = |name: &str| columns.iter().position(|c| *c == name);
    let typo = |s: &str, k: usize| -> String {
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
    };
    if let Some(f) = col("first_name") {
        if i.is_multiple_of(2) {
            cells[f] = typo(&cells[f], i / 2);
        }
    }
    if let Some(l) = col("last_name") {
        cells[l] = if i.is_multiple_of(3) {
            deunicode_lite(&cells[l])
        } else if i.is_multiple_of(5) {
            typo(&cells[l], i / 5)
        } else {
            cells[l].clone()
        };
    }
    if let (Some(f), Some(l)) = (col("first_name"), col("last_name")) {
        if i.is_multiple_of(10) {
            cells.swap(f, l);
        }
    }
    if let Some(p) = col("phone") {
        cells[p] = if i % 2 == 1 {
            cells[p].replace(' ', "")
        } else {
            cells[p].replace(' ', "-")
        };
    }
    if let Some(c) = col("customer_id") {
        if i % 3 == 1 {
            cells[c].clear();
        }
    }
    if let Some(d) = col("birth_date") {
        if i.is_multiple_of(4) {
            if let [y, m, day] = cells[d].split('-').collect::<Vec<_>>()[..] {
                cells[d] = format!("{day}/{m}/{y}");
            }
        }
    }
    cells
}

/// Latin letters without their diacritics, as a seller's ASCII export writes them; other
/// scripts unchanged. Hand-written: a bench needs the common letters only, not a crate.
fn deunicode_lite(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
            'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ø' => 'O',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ñ' => 'n',
            'Ñ' => 'N',
            'ç' => 'c',
            'Ç' => 'C',
            'ł' => 'l',
            'Ł' => 'L',
            'ś' | 'š' => 's',
            'Ś' | 'Š' => 'S',
            'ż' | 'ź' | 'ž' => 'z',
            'Ż' | 'Ź' | 'Ž' => 'Z',
            c => c,
        })
        .collect()
}
