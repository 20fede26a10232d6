//! People and how they change over time.
use crate::{SystemSpec, Table};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rlibphonenumber::{PhoneNumberFormat, PhoneNumberType, Region, PHONE_NUMBER_UTIL};

pub(crate) type Pair = (&'static str, &'static str);

/// One country's generators: (ISO code, display name, mail domains, given names, family
/// names, streets, cities, family-name-first, street number before name, postal format).
pub(crate) struct Country {
    pub(crate) iso: &'static str,
    pub(crate) display: &'static str,
    pub(crate) domains: &'static [&'static str],
    pub(crate) first: &'static [Pair],
    pub(crate) last: &'static [Pair],
    pub(crate) streets: &'static [&'static str],
    pub(crate) cities: &'static [&'static str],
    pub(crate) family_first: bool,
    pub(crate) number_first: bool,
    pub(crate) postal: fn(&mut StdRng) -> String,
}

/// `x` written with at least `min` digits, scrambled by a bijection on the numbers of that
/// many digits (multiplication by a unit modulo 10^d), so distinct `x` give distinct strings.
pub(crate) fn unique_digits(x: u64, min: usize) -> String {
    let mut d = min.max(1);
    while d < 19 && x >= 10u64.pow(d as u32) {
        d += 1;
    }
    let m = 10u128.pow(d as u32);
    let v = (u128::from(x) * 7_777_777_777_777_777_773 + 13) % m;
    format!("{v:0d$}")
}

pub(crate) fn digits(r: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + r.random_range(0..10u8)))
        .collect()
}

pub(crate) fn letters(r: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'A' + r.random_range(0..26u8)))
        .collect()
}

macro_rules! latin {
    ($($s:literal),*) => { &[$(($s, $s)),*] };
}

pub(crate) static COUNTRIES: &[Country] = &[
    Country {
        iso: "DE",
        display: "Germany",
        domains: &["web.de", "gmx.de", "t-online.de", "gmail.com"],
        first: latin![
            "Jürgen",
            "Anna",
            "Lukas",
            "Sophie",
            "Maximilian",
            "Marie",
            "Felix",
            "Lena",
            "Jonas",
            "Emma",
            "Günther",
            "Käthe"
        ],
        last: latin![
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch"
        ],
        streets: &[
            "Hauptstraße",
            "Bahnhofstr.",
            "Gartenweg",
            "Schillerstraße",
            "Lindenallee",
            "Goethestr.",
            "Am Markt",
            "Kirchplatz",
        ],
        cities: &[
            "Berlin",
            "München",
            "Köln",
            "Hamburg",
            "Düsseldorf",
            "Leipzig",
            "Dresden",
            "Nürnberg",
        ],
        family_first: false,
        number_first: false,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "FR",
        display: "France",
        domains: &["orange.fr", "free.fr", "laposte.net", "gmail.com"],
        first: latin![
            "Jean",
            "Marie",
            "Camille",
            "Léa",
            "François",
            "Chloé",
            "Théo",
            "Inès",
            "Hélène",
            "Noël"
        ],
        last: latin![
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Lefèvre", "Moreau"
        ],
        streets: &[
            "rue de la Paix",
            "avenue Victor Hugo",
            "boulevard Saint-Michel",
            "rue du Moulin",
            "chemin des Vignes",
        ],
        cities: &[
            "Paris",
            "Lyon",
            "Marseille",
            "Toulouse",
            "Nantes",
            "Besançon",
            "Saint-Étienne",
        ],
        family_first: false,
        number_first: true,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "ES",
        display: "Spain",
        domains: &["telefonica.es", "gmail.com", "hotmail.es"],
        first: latin![
            "José", "María", "Lucía", "Javier", "Álvaro", "Sofía", "Iñigo", "Nuria"
        ],
        last: latin![
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez"
        ],
        streets: &[
            "Calle Mayor",
            "Avenida de la Constitución",
            "Calle de Alcalá",
            "Paseo del Prado",
        ],
        cities: &[
            "Madrid",
            "Barcelona",
            "Sevilla",
            "Valencia",
            "Málaga",
            "Zaragoza",
        ],
        family_first: false,
        number_first: false,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "IT",
        display: "Italy",
        domains: &["libero.it", "tiscali.it", "gmail.com"],
        first: latin![
            "Giuseppe",
            "Francesca",
            "Luca",
            "Giulia",
            "Marco",
            "Chiara",
            "Niccolò"
        ],
        last: latin![
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "De Luca"
        ],
        streets: &[
            "Via Roma",
            "Via Garibaldi",
            "Piazza Dante",
            "Viale Mazzini",
            "Corso Italia",
        ],
        cities: &["Roma", "Milano", "Napoli", "Torino", "Firenze", "Bologna"],
        family_first: false,
        number_first: false,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "GB",
        display: "United Kingdom",
        domains: &["btinternet.com", "outlook.com", "gmail.com", "sky.com"],
        first: latin!["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Siobhan", "Rhys"],
        last: latin!["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "O'Brien", "Evans"],
        streets: &[
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Park Avenue",
        ],
        cities: &[
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Glasgow",
            "Cardiff",
        ],
        family_first: false,
        number_first: true,
        postal: |r| {
            format!(
                "{}{} {}{}",
                letters(r, 2),
                digits(r, 1),
                digits(r, 1),
                letters(r, 2)
            )
        },
    },
    Country {
        iso: "US",
        display: "United States",
        domains: &[
            "gmail.com",
            "yahoo.com",
            "aol.com",
            "comcast.net",
            "icloud.com",
        ],
        first: latin!["James", "Mary", "Michael", "Jennifer", "David", "Linda", "DeShawn", "Emily"],
        last: latin![
            "Johnson", "Williams", "Miller", "Davis", "Garcia", "Wilson", "Anderson", "Nguyen"
        ],
        streets: &[
            "Main Street",
            "Oak Avenue",
            "Maple Drive",
            "Washington Boulevard",
            "Elm Street",
            "5th Avenue",
        ],
        cities: &[
            "Springfield",
            "Austin",
            "Denver",
            "Portland",
            "Columbus",
            "Boston",
        ],
        family_first: false,
        number_first: true,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "PL",
        display: "Poland",
        domains: &["wp.pl", "onet.pl", "gmail.com"],
        first: latin![
            "Łukasz",
            "Agnieszka",
            "Piotr",
            "Małgorzata",
            "Krzysztof",
            "Zofia"
        ],
        last: latin![
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kamiński",
            "Lewandowski"
        ],
        streets: &[
            "ulica Długa",
            "ulica Piękna",
            "aleja Jana Pawła",
            "ulica Mickiewicza",
        ],
        cities: &["Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk"],
        family_first: false,
        number_first: false,
        postal: |r| format!("{}-{}", digits(r, 2), digits(r, 3)),
    },
    Country {
        iso: "TR",
        display: "Turkey",
        domains: &["hotmail.com", "gmail.com", "yandex.com"],
        first: latin!["Mehmet", "Ayşe", "Mustafa", "Fatma", "Emre", "Zeynep", "Çağlar"],
        last: latin!["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk"],
        streets: &[
            "Atatürk Caddesi",
            "İstiklal Caddesi",
            "Cumhuriyet Sokak",
            "Bağdat Caddesi",
        ],
        cities: &["İstanbul", "Ankara", "İzmir", "Bursa", "Antalya"],
        family_first: false,
        number_first: false,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "RU",
        display: "Russia",
        domains: &["yandex.ru", "mail.ru", "gmail.com"],
        first: &[
            ("Иван", "Ivan"),
            ("Анна", "Anna"),
            ("Дмитрий", "Dmitry"),
            ("Ольга", "Olga"),
            ("Сергей", "Sergey"),
            ("Наталья", "Natalya"),
        ],
        last: &[
            ("Иванов", "Ivanov"),
            ("Смирнова", "Smirnova"),
            ("Кузнецов", "Kuznetsov"),
            ("Попова", "Popova"),
            ("Соколов", "Sokolov"),
            ("Лебедева", "Lebedeva"),
        ],
        streets: &[
            "улица Ленина",
            "Тверская улица",
            "проспект Мира",
            "улица Гагарина",
        ],
        cities: &["Москва", "Санкт-Петербург", "Казань", "Новосибирск"],
        family_first: false,
        number_first: false,
        postal: |r| digits(r, 6),
    },
    Country {
        iso: "GR",
        display: "Greece",
        domains: &["otenet.gr", "gmail.com", "yahoo.gr"],
        first: &[
            ("Γιώργος", "Giorgos"),
            ("Μαρία", "Maria"),
            ("Νίκος", "Nikos"),
            ("Ελένη", "Eleni"),
            ("Δημήτρης", "Dimitris"),
        ],
        last: &[
            ("Παπαδόπουλος", "Papadopoulos"),
            ("Οικονόμου", "Oikonomou"),
            ("Γεωργίου", "Georgiou"),
            ("Νικολάου", "Nikolaou"),
        ],
        streets: &["Οδός Ερμού", "Λεωφόρος Κηφισίας", "Οδός Αθηνάς"],
        cities: &["Αθήνα", "Θεσσαλονίκη", "Πάτρα"],
        family_first: false,
        number_first: false,
        postal: |r| format!("{} {}", digits(r, 3), digits(r, 2)),
    },
    Country {
        iso: "JP",
        display: "Japan",
        domains: &["docomo.ne.jp", "yahoo.co.jp", "gmail.com"],
        first: &[
            ("さくら", "Sakura"),
            ("ひろし", "Hiroshi"),
            ("ゆき", "Yuki"),
            ("たろう", "Taro"),
            ("はなこ", "Hanako"),
            ("けんじ", "Kenji"),
        ],
        last: &[
            ("佐藤", "Sato"),
            ("鈴木", "Suzuki"),
            ("高橋", "Takahashi"),
            ("田中", "Tanaka"),
            ("伊藤", "Ito"),
            ("渡辺", "Watanabe"),
        ],
        streets: &["銀座", "中央通り", "本町", "栄町"],
        cities: &["東京", "大阪", "名古屋", "札幌", "福岡"],
        family_first: true,
        number_first: false,
        postal: |r| format!("{}-{}", digits(r, 3), digits(r, 4)),
    },
    Country {
        iso: "CN",
        display: "China",
        domains: &["qq.com", "163.com", "126.com"],
        first: &[
            ("伟", "Wei"),
            ("芳", "Fang"),
            ("小明", "Xiaoming"),
            ("丽", "Li"),
            ("强", "Qiang"),
            ("静", "Jing"),
        ],
        last: &[
            ("王", "Wang"),
            ("李", "Li"),
            ("张", "Zhang"),
            ("刘", "Liu"),
            ("陈", "Chen"),
            ("杨", "Yang"),
        ],
        streets: &["南京路", "长安街", "人民路", "中山路"],
        cities: &["北京", "上海", "广州", "深圳", "成都"],
        family_first: true,
        number_first: false,
        postal: |r| digits(r, 6),
    },
    Country {
        iso: "KR",
        display: "South Korea",
        domains: &["naver.com", "daum.net", "gmail.com"],
        first: &[
            ("민준", "Minjun"),
            ("서연", "Seoyeon"),
            ("지훈", "Jihun"),
            ("하은", "Haeun"),
            ("도윤", "Doyun"),
        ],
        last: &[
            ("김", "Kim"),
            ("이", "Lee"),
            ("박", "Park"),
            ("최", "Choi"),
            ("정", "Jung"),
        ],
        streets: &["세종대로", "테헤란로", "강남대로"],
        cities: &["서울", "부산", "인천", "대구"],
        family_first: true,
        number_first: false,
        postal: |r| digits(r, 5),
    },
    Country {
        iso: "IN",
        display: "India",
        domains: &["gmail.com", "rediffmail.com", "yahoo.co.in"],
        first: &[
            ("राहुल", "Rahul"),
            ("प्रिया", "Priya"),
            ("अमित", "Amit"),
            ("अनीता", "Anita"),
            ("विक्रम", "Vikram"),
        ],
        last: &[
            ("शर्मा", "Sharma"),
            ("वर्मा", "Verma"),
            ("गुप्ता", "Gupta"),
            ("सिंह", "Singh"),
            ("पटेल", "Patel"),
        ],
        streets: &["MG Road", "Nehru Marg", "Station Road", "Gandhi Nagar"],
        cities: &["Mumbai", "Delhi", "Bengaluru", "Pune", "Chennai"],
        family_first: false,
        number_first: true,
        postal: |r| format!("{}{}", r.random_range(1..10u8), digits(r, 5)),
    },
    Country {
        iso: "BR",
        display: "Brazil",
        domains: &["uol.com.br", "bol.com.br", "gmail.com"],
        first: latin![
            "João",
            "Ana",
            "Gabriel",
            "Júlia",
            "Matheus",
            "Beatriz",
            "Conceição"
        ],
        last: latin![
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Pereira",
            "Lima",
            "Conceição"
        ],
        streets: &[
            "Rua das Flores",
            "Avenida Paulista",
            "Rua Augusta",
            "Avenida Atlântica",
        ],
        cities: &["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Salvador"],
        family_first: false,
        number_first: false,
        postal: |r| format!("{}-{}", digits(r, 5), digits(r, 3)),
    },
    Country {
        iso: "EG",
        display: "Egypt",
        domains: &["gmail.com", "yahoo.com", "hotmail.com"],
        first: &[
            ("محمد", "Mohamed"),
            ("فاطمة", "Fatma"),
            ("أحمد", "Ahmed"),
            ("مريم", "Mariam"),
            ("يوسف", "Youssef"),
        ],
        last: &[
            ("حسن", "Hassan"),
            ("علي", "Ali"),
            ("إبراهيم", "Ibrahim"),
            ("محمود", "Mahmoud"),
            ("سعيد", "Said"),
        ],
        streets: &["Tahrir Street", "Corniche El Nil", "Ramses Street"],
        cities: &["Cairo", "Alexandria", "Giza"],
        family_first: false,
        number_first: true,
        postal: |r| digits(r, 5),
    },
];

/// Contact data that can change between snapshots.
#[derive(Clone, Debug)]
pub(crate) struct Contact {
    pub(crate) from: usize,
    pub(crate) email: String,
    /// E.164.
    pub(crate) phone: String,
    pub(crate) street: String,
    pub(crate) house: u32,
    pub(crate) postal: String,
    pub(crate) city: String,
}

/// One synthetic customer.
#[derive(Clone, Debug)]
pub struct Person {
    /// Stable serial number.
    pub serial: u64,
    pub(crate) country: usize,
    pub(crate) first: Pair,
    pub(crate) last: Pair,
    pub(crate) native: bool,
    pub(crate) birth: (u32, u32, u32),
    /// Snapshot index the person joined at.
    pub joined: usize,
    /// Snapshot index the person left at (absent from it on).
    pub left: Option<usize>,
    pub(crate) history: Vec<Contact>,
    /// Stable per-person draw deciding which systems hold them.
    pub(crate) share_draw: u32,
    pub(crate) caps_email: bool,
    pub(crate) id_salt: u64,
}

pub(crate) fn random_phone(r: &mut StdRng, iso: &str) -> String {
    let Ok(region) = Region::from_code(iso) else {
        return format!("+1555{}", digits(r, 7));
    };
    let example = PHONE_NUMBER_UTIL
        .get_example_number_for_type_and_region(region, PhoneNumberType::Mobile)
        .map(|p| p.format_as(PhoneNumberFormat::E164).into_owned())
        .unwrap_or_else(|_| "+10000000000".to_owned());
    for _ in 0..30 {
        // Eight free digits: room for a hundred million numbers per country, so phones are
        // mostly one person's, as in a real customer base.
        let keep = example.len().saturating_sub(8).max(4);
        let candidate = format!("{}{}", &example[..keep], digits(r, example.len() - keep));
        if PHONE_NUMBER_UTIL
            .parse(&candidate, None)
            .is_ok_and(|p| p.is_valid())
        {
            return candidate;
        }
    }
    example
}

pub(crate) fn format_phone(e164: &str, format: PhoneNumberFormat) -> String {
    PHONE_NUMBER_UTIL
        .parse(e164, None)
        .map(|p| p.format_as(format).into_owned())
        .unwrap_or_else(|_| e164.to_owned())
}

impl Person {
    pub(crate) fn new(r: &mut StdRng, serial: u64, joined: usize) -> Self {
        let country = r.random_range(0..COUNTRIES.len());
        Self::of_country(r, serial, joined, country)
    }

    /// A person of `COUNTRIES[country]`: name, address, phone and mail domain all of it.
    fn of_country(r: &mut StdRng, serial: u64, joined: usize, country: usize) -> Self {
        let c = &COUNTRIES[country];
        let first = *c.first.choose(r).unwrap_or(&("Alex", "Alex"));
        let last = *c.last.choose(r).unwrap_or(&("Doe", "Doe"));
        let mut p = Person {
            serial,
            country,
            first,
            last,
            native: first.0 != first.1 && r.random_bool(0.7),
            birth: (
                r.random_range(1945..2007),
                r.random_range(1..13),
                r.random_range(1..29),
            ),
            joined,
            left: None,
            history: Vec::new(),
            share_draw: r.random_range(0..1000),
            caps_email: r.random_bool(0.25),
            id_salt: r.random_range(1_000_000..10_000_000),
        };
        let contact = p.new_contact(r, joined);
        p.history.push(contact);
        p
    }

    pub(crate) fn new_contact(&self, r: &mut StdRng, from: usize) -> Contact {
        let c = &COUNTRIES[self.country];
        let first = deunicode::deunicode(self.first.1)
            .to_lowercase()
            .replace([' ', '\''], "");
        let last = deunicode::deunicode(self.last.1)
            .to_lowercase()
            .replace([' ', '\''], "");
        // Mailbox names as people pick them: several styles, nearly always with digits. A
        // company's accounts have unique e-mails, so the digits are the person's serial (and
        // contact version) scrambled: unique at any population size, short for small ones.
        let num = unique_digits(
            self.serial * 8 + self.history.len() as u64,
            r.random_range(2..5),
        );
        let local = match r.random_range(0..4) {
            0 => format!("{first}.{last}{num}"),
            1 => format!("{}{last}{num}", &first[..first.len().min(1)]),
            2 => format!("{first}_{num}"),
            _ => format!("{last}.{first}{num}"),
        };
        let domain = c.domains.choose(r).copied().unwrap_or("example.com");
        Contact {
            from,
            email: format!("{local}@{domain}"),
            phone: random_phone(r, c.iso),
            street: c
                .streets
                .choose(r)
                .copied()
                .unwrap_or("Main Street")
                .to_owned(),
            house: r.random_range(1..240),
            postal: (c.postal)(r),
            city: c
                .cities
                .choose(r)
                .copied()
                .unwrap_or("Springfield")
                .to_owned(),
        }
    }

    pub(crate) fn contact_at(&self, snapshot: usize) -> &Contact {
        self.history
            .iter()
            .rev()
            .find(|c| c.from <= snapshot)
            .unwrap_or(&self.history[0])
    }

    /// Whether the person is a customer at `snapshot`.
    pub fn active_at(&self, snapshot: usize) -> bool {
        self.joined <= snapshot && self.left.is_none_or(|l| l > snapshot)
    }

    pub(crate) fn names(&self) -> (&'static str, &'static str) {
        if self.native {
            (self.first.0, self.last.0)
        } else {
            (self.first.1, self.last.1)
        }
    }

    fn customer_id(&self) -> String {
        // Unique per person: the serial scrambled (the salt varies the look between
        // populations, not the uniqueness).
        format!("C{}", unique_digits(self.serial, 7))
    }

    fn order_id(&self) -> String {
        format!(
            "O-{:08}",
            (self.serial * 104_729 + self.id_salt * 13) % 100_000_000
        )
    }

    /// The person as `system` stores them at `snapshot`, in the system's column order and
    /// with its formatting habits.
    pub fn row(&self, system: &SystemSpec, snapshot: usize) -> Vec<String> {
        self.cells_as(system.name, system.columns, snapshot)
    }

    /// The person's values for `columns` (the names [`crate::SYSTEMS`] use: email,
    /// first_name, last_name, full_name, phone, birth_date, country, street, street_name,
    /// house_number, postal_code, city, customer_id, order_id), formatted as an accounts table would; unknown
    /// columns are empty. What canary records are made from.
    pub fn cells(&self, columns: &[&str]) -> Vec<String> {
        self.cells_as("accounts", columns, 0)
    }

    fn cells_as(&self, system: &str, columns: &[&str], snapshot: usize) -> Vec<String> {
        let c = &COUNTRIES[self.country];
        let k = self.contact_at(snapshot);
        let (first, last) = self.names();
        let (y, m, d) = self.birth;
        let full = if c.family_first && self.native {
            format!("{last}{first}")
        } else if c.family_first {
            format!("{last} {first}")
        } else {
            format!("{first} {last}")
        };
        let street = if c.number_first {
            format!("{} {}", k.house, k.street)
        } else {
            format!("{} {}", k.street, k.house)
        };
        let email_as_typed = if self.caps_email {
            let mut s = k.email.clone();
            if let Some(f) = s.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            s
        } else {
            k.email.clone()
        };
        columns
            .iter()
            .map(|col| match *col {
                "customer_id" => self.customer_id(),
                "order_id" => self.order_id(),
                "email" if system == "marketing" => k.email.to_lowercase(),
                "email" => email_as_typed.clone(),
                "first_name" | "name.first" => first.to_owned(),
                "last_name" | "name.last" => last.to_owned(),
                "full_name" => full.clone(),
                "phone" if system == "orders" => {
                    format_phone(&k.phone, PhoneNumberFormat::National)
                }
                "phone" => format_phone(&k.phone, PhoneNumberFormat::International),
                "birth_date" => format!("{y:04}-{m:02}-{d:02}"),
                "country" if system == "orders" => c.display.to_owned(),
                "country" => c.iso.to_owned(),
                "street" => street.clone(),
                "street_name" => k.street.clone(),
                "house_number" => k.house.to_string(),
                "postal_code" => k.postal.clone(),
                "city" => k.city.clone(),
                "consent" => "yes".to_owned(),
                _ => String::new(),
            })
            .collect()
    }

    /// Whether `system` holds this person.
    pub fn in_system(&self, system: &SystemSpec) -> bool {
        self.share_draw < system.share_permille
    }
}

/// A customer base over the demo snapshots.
#[derive(Clone, Debug)]
pub struct Population {
    /// Everyone who was ever a customer.
    pub people: Vec<Person>,
}

impl Population {
    /// `initial` customers at the first snapshot; at each later one about 10% join, 6%
    /// change an address, phone or e-mail, and 3% leave.
    pub fn generate(seed: u64, initial: usize) -> Self {
        let mut r = StdRng::seed_from_u64(seed);
        let mut people: Vec<Person> = (0..initial as u64)
            .map(|i| Person::new(&mut r, i, 0))
            .collect();
        for s in 1..crate::SNAPSHOTS.len() {
            let active: Vec<usize> = (0..people.len())
                .filter(|i| people[*i].active_at(s - 1))
                .collect();
            for &i in &active {
                let roll: f64 = r.random();
                if roll < 0.03 {
                    people[i].left = Some(s);
                } else if roll < 0.09 {
                    let mut c = people[i].new_contact(&mut r, s);
                    let old = people[i].contact_at(s - 1).clone();
                    // Change one thing: move, new phone, or new e-mail.
                    match r.random_range(0..3) {
                        0 => {
                            c.phone = old.phone;
                            c.email = old.email;
                        }
                        1 => {
                            c.email = old.email;
                            (c.street, c.house, c.postal, c.city) =
                                (old.street, old.house, old.postal, old.city);
                        }
                        _ => {
                            c.phone = old.phone;
                            (c.street, c.house, c.postal, c.city) =
                                (old.street, old.house, old.postal, old.city);
                        }
                    }
                    people[i].history.push(c);
                }
            }
            let joining = active.len() / 10;
            let base = people.len() as u64;
            for j in 0..joining as u64 {
                people.push(Person::new(&mut r, base + j, s));
            }
        }
        Population { people }
    }

    /// People invented from another seed: realistic, but no customer's data.
    pub fn fabricate(seed: u64, n: usize) -> Vec<Person> {
        let mut r = StdRng::seed_from_u64(seed ^ 0x5eed_f00d);
        // Serials outside the customer base's, and apart per seed: identifiers derive from
        // serials, and two made-up sets (canaries, a fake sample) must not share them.
        let base = 1_000_000_000 + (seed % 4096) * 100_000_000;
        (0..n as u64)
            .map(|i| Person::new(&mut r, base + i, 0))
            .collect()
    }

    /// Like [`Population::fabricate`], everyone of one country (ISO 3166 alpha-2, e.g.
    /// `DE`): names, street, postal code, city, phone and mail domain all of it, as one
    /// plausible customer is — what canary records planted in a German number range are
    /// made of. `None` when the generator has no tables for the country.
    pub fn fabricate_in(seed: u64, n: usize, country: &str) -> Option<Vec<Person>> {
        let country = COUNTRIES
            .iter()
            .position(|c| c.iso.eq_ignore_ascii_case(country.trim()))?;
        let mut r = StdRng::seed_from_u64(seed ^ 0x5eed_f00d);
        // Serials as `fabricate` draws them, for the same reason.
        let base = 1_000_000_000 + (seed % 4096) * 100_000_000;
        Some(
            (0..n as u64)
                .map(|i| Person::of_country(&mut r, base + i, 0, country))
                .collect(),
        )
    }

    /// The export of `system` at snapshot index `snapshot`.
    pub fn export(&self, system: &SystemSpec, snapshot: usize) -> Table {
        Table {
            header: system.columns.iter().map(|c| c.to_string()).collect(),
            rows: self
                .people
                .iter()
                .filter(|p| p.active_at(snapshot) && p.in_system(system))
                .map(|p| p.row(system, snapshot))
                .collect(),
        }
    }
}

/// A leak sample of known composition: `genuine` rows copied verbatim from `export` (a
/// system's export table), then `fabricated` invented people written in `system`'s
/// columns; shuffled. Fabricated phones are invalid for their region in
/// `invalid_phone_share` of the rows, as sloppy generators make them.
pub fn leak_sample(
    export: &Table,
    system: &SystemSpec,
    genuine: usize,
    fabricated: usize,
    invalid_phone_share: f64,
    seed: u64,
) -> Table {
    let mut r = StdRng::seed_from_u64(seed);
    let mut rows = export.rows.clone();
    rows.shuffle(&mut r);
    rows.truncate(genuine);
    let phone_col = system.columns.iter().position(|c| *c == "phone");
    for p in Population::fabricate(seed, fabricated) {
        let mut row = p.row(system, 0);
        if let Some(i) = phone_col {
            if r.random_bool(invalid_phone_share) {
                row[i] = format!("+{}", digits(&mut r, 11));
            }
        }
        rows.push(row);
    }
    rows.shuffle(&mut r);
    Table {
        header: export.header.clone(),
        rows,
    }
}

/// Another service's breach that shares people with the company: `shared` customers active
/// at `snapshot` (their e-mail and name as they would give them anywhere; half keep the
/// same phone number, half have another) among `others` invented people, written as that
/// service stores them (lower-case e-mail, E.164 phone, its own columns). No row is a copy
/// of a company record: the verdict should be "recycled".
pub fn recycled_sample(
    pop: &Population,
    snapshot: usize,
    shared: usize,
    others: usize,
    seed: u64,
) -> Table {
    let mut r = StdRng::seed_from_u64(seed);
    let header = ["email", "full_name", "phone", "country", "signup_ip"]
        .map(String::from)
        .to_vec();
    let row = |p: &Person, keep_phone: bool, r: &mut StdRng| -> Vec<String> {
        let c = &COUNTRIES[p.country];
        let k = p.contact_at(snapshot);
        let phone = if keep_phone {
            k.phone.clone()
        } else {
            random_phone(r, c.iso)
        };
        vec![
            k.email.to_lowercase(),
            format!("{} {}", p.first.1, p.last.1),
            phone,
            c.iso.to_owned(),
            format!(
                "10.{}.{}.{}",
                r.random_range(0..255),
                r.random_range(0..255),
                r.random_range(1..255)
            ),
        ]
    };
    let mut customers: Vec<&Person> = pop
        .people
        .iter()
        .filter(|p| p.active_at(snapshot))
        .collect();
    customers.shuffle(&mut r);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, p) in customers.into_iter().take(shared).enumerate() {
        rows.push(row(p, i % 2 == 0, &mut r));
    }
    for p in Population::fabricate(seed, others) {
        rows.push(row(&p, true, &mut r));
    }
    rows.shuffle(&mut r);
    Table { header, rows }
}

/// An endless stream of customers (first snapshot only), generated one at a time so a
/// benchmark can write millions of rows without holding them.
pub fn people_stream(seed: u64) -> impl Iterator<Item = Person> {
    let mut r = StdRng::seed_from_u64(seed);
    (0u64..).map(move |i| Person::new(&mut r, i, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SYSTEMS;

    #[test]
    fn population_evolves() {
        let p = Population::generate(1, 500);
        let sizes: Vec<usize> = (0..3)
            .map(|s| p.export(&SYSTEMS[0], s).rows.len())
            .collect();
        assert_eq!(sizes[0], 500);
        assert!(sizes[1] > sizes[0] && sizes[2] > sizes[1], "{sizes:?}");
        assert!(p.people.iter().any(|x| x.history.len() > 1));
        let orders = p.export(&SYSTEMS[1], 0).rows.len();
        assert!(orders > 200 && orders < 400, "{orders}");
    }

    #[test]
    fn people_of_one_country() {
        let de = COUNTRIES
            .iter()
            .find(|c| c.iso == "DE")
            .expect("a German table");
        let people = Population::fabricate_in(7, 300, "de").expect("German people");
        assert_eq!(people.len(), 300);
        for p in &people {
            assert_eq!(p.cells(&["country"]), ["DE"]);
            assert!(de.first.contains(&p.first) && de.last.contains(&p.last));
            let k = &p.history[0];
            assert!(de.streets.contains(&k.street.as_str()));
            assert!(de.cities.contains(&k.city.as_str()));
            assert!(k.phone.starts_with("+49"), "{}", k.phone);
        }
        // Serials (and the identifiers made from them) as `fabricate` gives them.
        let mixed = Population::fabricate(7, 300);
        let serials = |v: &[Person]| v.iter().map(|p| p.serial).collect::<Vec<_>>();
        assert_eq!(serials(&people), serials(&mixed));
        assert!(Population::fabricate_in(7, 3, "XX").is_none());
    }

    #[test]
    fn phones_are_valid() {
        let p = Population::generate(2, 200);
        let valid = p
            .people
            .iter()
            .filter(|x| {
                PHONE_NUMBER_UTIL
                    .parse(&x.history[0].phone, None)
                    .is_ok_and(|n| n.is_valid())
            })
            .count();
        assert!(valid >= 195, "{valid}");
    }
}
