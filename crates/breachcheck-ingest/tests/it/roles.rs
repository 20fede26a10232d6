//! Column roles without a header: a table written without its header row (delimited, or an
//! SQL dump whose `INSERT`s name no columns) gets the roles its header gives. Every wrong
//! role turns a genuine copy into "not ours", so this is checked on the synthetic exports
//! of the scenario generator (`tests/fixtures/roles`) and on tables drawn at random.
use breachcheck_core::FieldRole;
use breachcheck_ingest::{Event, IngestOptions, Sample};
use proptest::prelude::*;
use std::path::Path;

/// The roles of the first part of `path`, and whether it was read with a header.
fn roles(path: &Path) -> (Vec<FieldRole>, bool) {
    let sample = Sample::open(path, &IngestOptions::default()).expect("opens");
    let mut records = sample.records().expect("records");
    records
        .find_map(|ev| match ev {
            Event::Part(p) => Some((p.layout.roles(), p.layout.has_header)),
            _ => None,
        })
        .expect("a part")
}

fn tsv(rows: &[Vec<String>]) -> String {
    rows.iter().map(|r| r.join("\t") + "\n").collect()
}

/// A MySQL dump of `rows` whose `INSERT`s name no columns.
fn sql(rows: &[Vec<String>]) -> String {
    let mut s = String::from("-- MySQL dump 10.13\nLOCK TABLES `t` WRITE;\n");
    for chunk in rows.chunks(50) {
        let tuples: Vec<String> = chunk
            .iter()
            .map(|r| {
                let vals: Vec<String> = r
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            "NULL".to_owned()
                        } else {
                            format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'"))
                        }
                    })
                    .collect();
                format!("({})", vals.join(","))
            })
            .collect();
        s.push_str(&format!("INSERT INTO `t` VALUES {};\n", tuples.join(",")));
    }
    s.push_str("UNLOCK TABLES;\n");
    s
}

/// The header's roles of `header` + `body`, and the roles of the body alone written as
/// TSV and as an SQL dump.
fn with_and_without_header(
    header: &[String],
    body: &[Vec<String>],
) -> (Vec<FieldRole>, Vec<FieldRole>, Vec<FieldRole>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let headed = dir.path().join("headed.tsv");
    let mut all = vec![header.to_vec()];
    all.extend(body.iter().cloned());
    std::fs::write(&headed, tsv(&all)).expect("write");
    let bare = dir.path().join("bare.tsv");
    std::fs::write(&bare, tsv(body)).expect("write");
    let dump = dir.path().join("bare.sql");
    std::fs::write(&dump, sql(body)).expect("write");
    let (want, has_header) = roles(&headed);
    assert!(has_header);
    let (tsv_roles, has_header) = roles(&bare);
    assert!(!has_header);
    let (sql_roles, has_header) = roles(&dump);
    assert!(!has_header);
    (want, tsv_roles, sql_roles)
}

#[test]
fn synthetic_exports_keep_their_roles_without_a_header() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{}", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let mut rows: Vec<Vec<String>> = text
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
        let header = rows.remove(0);
        let (want, tsv_roles, sql_roles) = with_and_without_header(&header, &rows);
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        // The header names every column, so the fixture checks a role for each; only
        // columns that say nothing of a person are left alone.
        for (h, r) in header.iter().zip(&want) {
            let nothing = [
                "created",
                "created_at",
                "registered",
                "signup_date",
                "consent",
                "opt_in",
                "newsletter_optin",
            ];
            assert!(
                *r != FieldRole::Ignore || nothing.contains(&h.as_str()),
                "{name:?}: {h}"
            );
        }
        assert_eq!(tsv_roles, want, "{name:?} as TSV");
        assert_eq!(sql_roles, want, "{name:?} as SQL");
    }
}

/// What a drawn column holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    CustomerId,
    OrderId,
    Email,
    First,
    Last,
    Full,
    Phone,
    Birth,
    Country,
    Street,
    House,
    Address,
    Postal,
    City,
    Consent,
    Created,
}

impl Kind {
    fn header(self) -> &'static str {
        match self {
            Kind::CustomerId => "customer_id",
            Kind::OrderId => "order_id",
            Kind::Email => "email",
            Kind::First => "first_name",
            Kind::Last => "last_name",
            Kind::Full => "full_name",
            Kind::Phone => "phone",
            Kind::Birth => "birth_date",
            Kind::Country => "country",
            Kind::Street => "street",
            Kind::House => "house_number",
            Kind::Address => "address",
            Kind::Postal => "postal_code",
            Kind::City => "city",
            Kind::Consent => "consent",
            Kind::Created => "created_at",
        }
    }
}

/// One country's people, written the country's way. Cities are not all large: a column
/// of towns must be told from names by its place in the table, not by a list.
struct Land {
    iso: [&'static str; 3],
    first: &'static [&'static str],
    last: &'static [&'static str],
    streets: &'static [&'static str],
    cities: &'static [&'static str],
    /// Country code, then the national number's length (the first digit is drawn 1–9).
    phone: (&'static str, usize),
    postal: fn(u64) -> String,
    number_first: bool,
}

const LANDS: &[Land] = &[
    Land {
        iso: ["DE", "DEU", "Germany"],
        first: &[
            "Jürgen", "Anna", "Lukas", "Käthe", "Felix", "Marie", "Jonas", "Lena",
        ],
        last: &[
            "Müller", "Schmidt", "Weiß", "Becker", "Schäfer", "Koch", "Wagner",
        ],
        streets: &[
            "Bahnhofstraße",
            "Am Ring",
            "Lindenweg",
            "Schulstr.",
            "Marktplatz",
        ],
        cities: &[
            "Berlin",
            "Fulda",
            "Hameln",
            "Kassel",
            "Bad Tölz",
            "Essen",
            "Jena",
            "Zwickau",
        ],
        phone: ("49", 10),
        postal: |x| format!("{:05}", x % 100_000),
        number_first: false,
    },
    Land {
        iso: ["PL", "POL", "Poland"],
        first: &[
            "Łukasz",
            "Zofia",
            "Piotr",
            "Agnieszka",
            "Marek",
            "Ewa",
            "Tomasz",
        ],
        last: &[
            "Nowak",
            "Wójcik",
            "Kowalczyk",
            "Zieliński",
            "Mazur",
            "Krawczyk",
            "Wróbel",
        ],
        streets: &["ulica Długa", "ul. Polna", "aleja Róż", "plac Wolności"],
        cities: &[
            "Kraków", "Radom", "Płock", "Gdynia", "Sopot", "Opole", "Kielce",
        ],
        phone: ("48", 9),
        postal: |x| format!("{:02}-{:03}", x % 100, (x / 100) % 1000),
        number_first: false,
    },
    Land {
        iso: ["GB", "GBR", "United Kingdom"],
        first: &[
            "Oliver", "Isla", "Harry", "Siobhan", "George", "Amelia", "Rhys",
        ],
        last: &["Smith", "O'Brien", "Taylor", "Evans", "Jones", "Davies"],
        streets: &["Station Road", "Mill Lane", "Church Street", "The Crescent"],
        cities: &[
            "London", "Bath", "Ipswich", "Whitby", "Leeds", "Durham", "Truro",
        ],
        phone: ("44", 10),
        postal: |x| {
            format!(
                "{}{} {}{}",
                ["SW", "GM", "LS", "B"][(x % 4) as usize],
                1 + x % 9,
                x % 10,
                ["AA", "TW", "BX"][(x % 3) as usize]
            )
        },
        number_first: true,
    },
    Land {
        iso: ["ES", "ESP", "Spain"],
        first: &[
            "José", "Lucía", "Álvaro", "Nuria", "Javier", "Sofía", "Iñigo",
        ],
        last: &[
            "García",
            "Núñez",
            "Pérez",
            "de la Fuente",
            "López",
            "Sánchez",
        ],
        streets: &[
            "Calle de Alcalá",
            "Avenida del Puerto",
            "Paseo de Gracia",
            "Calle Mayor",
        ],
        cities: &[
            "Madrid", "Cuenca", "Lugo", "Zamora", "Vigo", "Soria", "Teruel",
        ],
        phone: ("34", 9),
        postal: |x| format!("{:05}", x % 53_000),
        number_first: false,
    },
    Land {
        iso: ["RU", "RUS", "Russia"],
        first: &[
            "Иван",
            "Ольга",
            "Сергей",
            "Анна",
            "Дмитрий",
            "Наталья",
            "Pavel",
        ],
        last: &[
            "Иванов",
            "Смирнова",
            "Попов",
            "Кузнецова",
            "Соколов",
            "Лебедева",
        ],
        streets: &[
            "Тверская улица",
            "улица Ленина",
            "проспект Мира",
            "Невский проспект",
        ],
        cities: &[
            "Москва",
            "Тула",
            "Казань",
            "Калуга",
            "Томск",
            "Псков",
            "Самара",
        ],
        phone: ("7", 10),
        postal: |x| format!("{:06}", 100_000 + x % 900_000),
        number_first: false,
    },
    Land {
        iso: ["US", "USA", "United States"],
        first: &[
            "James", "Mary", "DeShawn", "Emily", "Linda", "Robert", "Ashley",
        ],
        last: &["Johnson", "Nguyen", "Miller", "Flores", "Wilson", "Brown"],
        streets: &[
            "Main Street",
            "Oak Avenue",
            "Maple Drive",
            "Sunset Boulevard",
            "Elm St",
        ],
        cities: &[
            "Springfield",
            "Riverside",
            "Fairview",
            "Boston",
            "Dover",
            "Salem",
        ],
        phone: ("1", 10),
        postal: |x| format!("{:05}", 10_000 + x % 89_000),
        number_first: true,
    },
    Land {
        iso: ["JP", "JPN", "Japan"],
        first: &[
            "さくら",
            "ひろし",
            "Yuki",
            "Kenji",
            "Haruto",
            "Aoi",
            "はなこ",
        ],
        last: &["佐藤", "鈴木", "Tanaka", "Ito", "渡辺", "Yamamoto"],
        streets: &["中央通り", "桜通り", "明治通り"],
        cities: &["東京", "大阪", "仙台", "金沢", "札幌", "那覇", "福岡"],
        phone: ("81", 10),
        postal: |x| format!("{:03}-{:04}", x % 1000, (x / 1000) % 10_000),
        number_first: false,
    },
];

/// A small deterministic generator, so that a drawn seed is a whole table.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A system's table as the scenario generator draws them: accounts, orders, marketing,
/// support or loyalty, names split or whole, addresses split or on one line, with the
/// system's own habits of writing ids, phones, dates and countries.
fn draw_table(seed: u64, rows: usize) -> (Vec<String>, Vec<Vec<String>>) {
    use Kind::*;
    let mut d = Draw(seed);
    let names: &[Kind] = if d.below(2) == 0 {
        &[First, Last]
    } else {
        &[Full]
    };
    let address: &[Kind] = if d.below(2) == 0 {
        &[Street, House]
    } else {
        &[Address]
    };
    let mut kinds: Vec<Kind> = Vec::new();
    match d.below(5) {
        0 => {
            kinds.extend([CustomerId, Email]);
            kinds.extend(names);
            kinds.extend([Phone, Birth, Country]);
            if d.below(2) == 0 {
                kinds.push(Created);
            }
        }
        1 => {
            kinds.extend([OrderId, CustomerId]);
            kinds.extend(names);
            kinds.extend(address);
            kinds.extend([Postal, City, Country]);
            if d.below(2) == 0 {
                kinds.push(Phone);
            }
        }
        2 => {
            kinds.push(Email);
            kinds.extend(names);
            kinds.extend([Country, Consent]);
        }
        3 => kinds.extend([CustomerId, Email, Phone, Full]),
        _ => {
            kinds.push(CustomerId);
            kinds.extend(names);
            kinds.extend([Birth, Email, Postal, City]);
        }
    }
    let customer_style = d.below(4);
    let order_style = d.below(4);
    let phone_style = d.below(3);
    let date_style = d.below(3);
    let country_style = d.below(3);
    // Customers of one country or several; a column of a handful of values over many rows
    // is a category (consent, title), so each table draws from at least two countries.
    let first_land = d.below(LANDS.len());
    let mut lands = vec![
        first_land,
        (first_land + 1 + d.below(LANDS.len() - 1)) % LANDS.len(),
    ];
    lands.extend((0..d.below(LANDS.len())).map(|_| d.below(LANDS.len())));
    let body = (0..rows)
        .map(|i| {
            let serial = 1 + i as u64 * (1 + seed % 3);
            let land = &LANDS[lands[d.below(lands.len())]];
            let (first, last) = (d.pick(land.first), d.pick(land.last));
            let street = d.pick(land.streets);
            let house = 1 + d.below(240);
            let x = d.next();
            kinds
                .iter()
                .map(|k| match k {
                    CustomerId => match customer_style {
                        0 => (100_000 + serial).to_string(),
                        1 => format!("C{:07}", serial),
                        2 => format!("{}", 100_000_000 + (x % 899_999_999)),
                        _ => format!(
                            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                            x as u32,
                            (x >> 32) as u16,
                            (x >> 48) % 4096,
                            (x >> 20) % 4096,
                            d.next() & 0xffff_ffff_ffff
                        ),
                    },
                    OrderId => match order_style {
                        0 => (50_000_000 + serial).to_string(),
                        1 => format!("O-{:08}", serial),
                        2 => format!("{}", 1_000_000_000 + (x % 8_999_999_999)),
                        _ => format!("{:012x}", d.next() & 0xffff_ffff_ffff),
                    },
                    Email => format!("user{}.{}@example.org", serial, x % 97),
                    First => first.to_owned(),
                    Last => last.to_owned(),
                    Full => format!("{first} {last}"),
                    Phone => {
                        let (cc, len) = land.phone;
                        let national = format!(
                            "{}{:0w$}",
                            1 + x % 9,
                            d.next() % 10u64.pow(len as u32 - 1),
                            w = len - 1
                        );
                        match phone_style {
                            0 => format!("+{cc}{national}"),
                            1 => format!("+{cc} {} {}", &national[..3], &national[3..]),
                            _ => format!("00{cc} {national}"),
                        }
                    }
                    Birth => {
                        let (y, m, dd) = (1940 + x % 60, 1 + (x >> 8) % 12, 1 + (x >> 16) % 28);
                        match date_style {
                            0 => format!("{y}-{m:02}-{dd:02}"),
                            1 => format!("{dd:02}.{m:02}.{y}"),
                            _ => format!("{m:02}/{dd:02}/{y}"),
                        }
                    }
                    Country => land.iso[country_style].to_owned(),
                    Street => street.to_owned(),
                    House => house.to_string(),
                    Address => {
                        if land.number_first {
                            format!("{house} {street}")
                        } else {
                            format!("{street} {house}")
                        }
                    }
                    Postal => (land.postal)(d.next()),
                    City => d.pick(land.cities).to_owned(),
                    Consent => if x.is_multiple_of(3) { "no" } else { "yes" }.to_owned(),
                    Created => format!(
                        "20{:02}-{:02}-{:02} 12:{:02}:00",
                        15 + x % 9,
                        1 + (x >> 8) % 12,
                        1 + (x >> 16) % 28,
                        x % 60
                    ),
                })
                .collect()
        })
        .collect();
    (kinds.iter().map(|k| k.header().to_owned()).collect(), body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A table drawn the way the scenario generator draws a system's export keeps, without
    /// its header, the roles its header gives — as TSV and as an SQL dump.
    #[test]
    fn headerless_tables_keep_the_header_roles(seed in any::<u64>(), rows in 40usize..200) {
        let (header, body) = draw_table(seed, rows);
        let (want, tsv_roles, sql_roles) = with_and_without_header(&header, &body);
        prop_assert_eq!(&tsv_roles, &want, "{:?} as TSV {:?}", header, &body[..3]);
        prop_assert_eq!(&sql_roles, &want, "{:?} as SQL", header);
    }
}

/// Found by the property above: Japanese postal codes written `831-1859` beside German
/// five-digit ones were read as a column of US local phone numbers.
#[test]
fn japanese_postal_codes_are_not_local_phone_numbers() {
    let (header, body) = draw_table(3014585736570576936, 40);
    assert!(body.iter().any(|r| r.iter().any(|c| c == "831-1859")));
    let (want, tsv_roles, sql_roles) = with_and_without_header(&header, &body);
    assert_eq!(tsv_roles, want);
    assert_eq!(sql_roles, want);
}
