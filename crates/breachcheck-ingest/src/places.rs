//! What values of place and name columns look like, for reading columns without a header:
//! street-type words in the languages of customer data, house numbers, postal codes in
//! their national shapes, large cities, and names written "Last, First".
//!
//! Each test here looks at one value; a column's role comes from how many of its values
//! pass (see `roles`), so a surname that happens to be a street word ("Estrada") or a
//! first name that is a city ("Paris") does not move a column.
use breachcheck_normalize::{address, country, name};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Street-type words that stand apart from the street's name ("Calle de Alcalá", "Station
/// Road", "Тверская улица"), in their own script: they are folded (transliterated, case
/// and accents off) when the set is built, the way values are when they are looked up.
/// Mirrors the street types of `breachcheck_normalize::address`, with more languages,
/// and leaves out abbreviations that are also name particles or titles ("al", "st", "dr",
/// "ter", "c") and street words that are also given names (Russian "пер" folds to "Per",
/// Spanish "ronda", Dutch "kade"): those would make people into streets.
#[rustfmt::skip]
const STREET_WORDS: &[&str] = &[
    // English.
    "street", "road", "rd", "avenue", "ave", "drive", "lane", "ln", "boulevard", "blvd", "way",
    "court", "place", "close", "crescent", "terrace", "grove", "parkway", "pkwy", "highway",
    "hwy", "circle", "square", "mews", "alley", "trail",
    // German.
    "straße", "strasse", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer",
    "chaussee", "steig",
    // French.
    "rue", "avenue", "av", "bd", "chemin", "impasse", "allée", "quai", "route", "cours",
    "passage", "voie", "faubourg",
    // Spanish.
    "calle", "avenida", "avda", "paseo", "plaza", "carrera", "camino", "carretera", "travesía",
    "glorieta", "callejón", "pasaje", "calzada",
    // Portuguese.
    "rua", "travessa", "praça", "alameda", "estrada", "largo", "rodovia", "viela", "beco",
    // Italian.
    "via", "viale", "piazza", "corso", "vicolo", "strada", "piazzale", "lungomare", "contrada",
    // Dutch and the Nordic languages.
    "straat", "laan", "plein", "gracht", "singel", "dijk", "steeg", "gatan", "gata", "vägen",
    "gade", "vej", "veien", "vegen", "gate", "katu",
    // Polish, Czech, Slovak, Hungarian, Romanian.
    "ulica", "ul", "aleja", "aleje", "plac", "osiedle", "rondo", "ulice", "náměstí", "třída",
    "nábřeží", "utca", "út", "körút", "strada", "bulevardul", "calea", "aleea", "șoseaua",
    // Russian and Ukrainian (and their transliterations, which fold alike).
    "улица", "ул", "проспект", "просп", "переулок", "шоссе", "бульвар", "площадь", "набережная",
    "проезд", "тупик", "вулиця", "вул", "провулок",
    // Greek.
    "οδός", "οδ", "λεωφόρος", "λεωφ", "πλατεία",
    // Turkish.
    "caddesi", "cadde", "cad", "cd", "sokak", "sokağı", "sk", "bulvarı", "bulvar", "mahallesi",
    "mah", "yolu",
    // South and South-East Asia, the Arab world.
    "marg", "nagar", "gali", "chowk", "jalan", "jl", "jln", "lorong", "soi", "thanon", "shari",
    "sharia", "corniche",
];

/// Street types written glued to the name ("Hauptstraße", "Bahnhofstr.", "Keizersgracht").
/// A token counts only when at least three letters come before the suffix, so "Agata" is
/// no street; Finnish "-tie" is left out, since given names end in it too ("Bertie").
#[rustfmt::skip]
const GLUED_SUFFIXES: &[&str] = &[
    "strasse", "str", "gasse", "platz", "weg", "allee", "damm", "ufer", "straat", "laan", "plein",
    "gracht", "kade", "singel", "dijk", "gatan", "vagen", "gade", "vej", "veien", "katu", "utca",
    "caddesi", "sokak", "sokagi", "bulvari",
];

/// Street suffixes of scripts written without spaces: Chinese 路 街 道, Japanese 通り,
/// Korean 로 길 대로.
#[rustfmt::skip]
const CJK_SUFFIXES: &[&str] = &[
    "路", "街", "大道", "道", "巷", "胡同", "通り", "通", "로", "길", "대로", "거리",
];

/// Large cities (the most populous of the countries in customer data, and capitals), in
/// English and in their own languages. Cities that are also common given names (Austin,
/// Charlotte, Dallas, Florence, Milan, Phoenix, Salvador, Santiago, Sydney, Victoria) are
/// left out: the list must say "place", never "person".
#[rustfmt::skip]
const CITIES: &[&str] = &[
    // Germany, Austria, Switzerland.
    "Berlin", "Hamburg", "München", "Munich", "Köln", "Cologne", "Frankfurt",
    "Frankfurt am Main", "Stuttgart", "Düsseldorf", "Leipzig", "Dortmund", "Essen", "Bremen",
    "Dresden", "Hannover", "Nürnberg", "Nuremberg", "Duisburg", "Bochum", "Wuppertal",
    "Bielefeld", "Bonn", "Münster", "Karlsruhe", "Mannheim", "Augsburg", "Wiesbaden", "Mainz",
    "Kiel", "Rostock", "Freiburg", "Wien", "Vienna", "Graz", "Linz", "Salzburg", "Innsbruck",
    "Zürich", "Zurich", "Genève", "Geneva", "Basel", "Bern", "Lausanne",
    // France, Belgium, the Netherlands, Luxembourg.
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier",
    "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Grenoble", "Dijon", "Angers", "Besançon",
    "Saint-Étienne", "Le Havre", "Brussel", "Bruxelles", "Brussels", "Antwerpen", "Antwerp",
    "Gent", "Liège", "Amsterdam", "Rotterdam", "Den Haag", "The Hague", "Utrecht", "Eindhoven",
    "Groningen", "Luxembourg",
    // Spain, Portugal, Italy.
    "Madrid", "Barcelona", "Valencia", "Sevilla", "Seville", "Zaragoza", "Málaga", "Murcia",
    "Palma", "Bilbao", "Alicante", "Córdoba", "Valladolid", "Vigo", "Gijón", "Granada",
    "Lisboa", "Lisbon", "Porto", "Braga", "Coimbra", "Roma", "Rome", "Milano", "Napoli",
    "Naples", "Torino", "Turin", "Palermo", "Genova", "Genoa", "Bologna", "Firenze", "Bari",
    "Catania", "Venezia", "Venice", "Verona",
    // The British Isles and the Nordic countries.
    "London", "Birmingham", "Manchester", "Leeds", "Glasgow", "Liverpool", "Sheffield",
    "Bristol", "Edinburgh", "Cardiff", "Leicester", "Coventry", "Bradford", "Belfast",
    "Nottingham", "Newcastle", "Southampton", "Portsmouth", "Brighton", "Dublin", "Cork",
    "Stockholm", "Göteborg", "Gothenburg", "Malmö", "Oslo", "Bergen", "København", "Copenhagen",
    "Aarhus", "Helsinki", "Espoo", "Tampere", "Reykjavík",
    // Central and Eastern Europe, Turkey, Greece.
    "Warszawa", "Warsaw", "Kraków", "Krakow", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin",
    "Lublin", "Katowice", "Praha", "Prague", "Brno", "Bratislava", "Budapest", "București",
    "Bucharest", "Cluj-Napoca", "Sofia", "София", "Beograd", "Belgrade", "Zagreb", "Ljubljana",
    "Vilnius", "Riga", "Tallinn", "Kyiv", "Kiev", "Київ", "Киев", "Kharkiv", "Харків", "Odesa",
    "Одеса", "Lviv", "Львів", "Minsk", "Минск", "İstanbul", "Istanbul", "Ankara", "İzmir",
    "Izmir", "Bursa", "Antalya", "Adana", "Konya", "Gaziantep", "Αθήνα", "Athens", "Athina",
    "Θεσσαλονίκη", "Thessaloniki", "Πάτρα", "Patras",
    // Russia and Central Asia.
    "Москва", "Moscow", "Moskva", "Санкт-Петербург", "Saint Petersburg", "St. Petersburg",
    "Новосибирск", "Novosibirsk", "Екатеринбург", "Yekaterinburg", "Казань", "Kazan",
    "Нижний Новгород", "Nizhny Novgorod", "Челябинск", "Chelyabinsk", "Самара", "Samara",
    "Омск", "Omsk", "Ростов-на-Дону", "Rostov-on-Don", "Уфа", "Ufa", "Красноярск",
    "Krasnoyarsk", "Воронеж", "Voronezh", "Пермь", "Perm", "Волгоград", "Volgograd", "Almaty",
    "Алматы", "Tashkent", "Toshkent",
    // The Americas.
    "New York", "New York City", "Los Angeles", "Chicago", "Houston", "Philadelphia",
    "San Antonio", "San Diego", "San Jose", "Jacksonville", "Fort Worth", "Columbus",
    "Indianapolis", "San Francisco", "Seattle", "Denver", "Washington", "Boston", "El Paso",
    "Nashville", "Detroit", "Oklahoma City", "Portland", "Las Vegas", "Memphis", "Louisville",
    "Baltimore", "Milwaukee", "Albuquerque", "Tucson", "Fresno", "Sacramento", "Kansas City",
    "Mesa", "Atlanta", "Omaha", "Miami", "Oakland", "Minneapolis", "Tulsa", "Cleveland",
    "Wichita", "Arlington", "New Orleans", "Tampa", "Honolulu", "Pittsburgh", "Cincinnati",
    "St. Louis", "Springfield", "Toronto", "Montréal", "Montreal", "Vancouver", "Calgary",
    "Edmonton", "Ottawa", "Winnipeg", "Québec", "Quebec", "Ciudad de México", "Mexico City",
    "Guadalajara", "Monterrey", "Puebla", "Tijuana", "São Paulo", "Rio de Janeiro", "Brasília",
    "Fortaleza", "Belo Horizonte", "Manaus", "Curitiba", "Recife", "Porto Alegre", "Belém",
    "Goiânia", "Buenos Aires", "Bogotá", "Medellín", "Cali", "Lima", "Caracas", "Quito",
    "Guayaquil", "Montevideo", "La Paz", "Havana", "La Habana", "Santo Domingo",
    // Asia and Oceania.
    "東京", "Tokyo", "大阪", "Osaka", "名古屋", "Nagoya", "札幌", "Sapporo", "福岡", "Fukuoka", "横浜",
    "Yokohama", "神戸", "Kobe", "京都", "Kyoto", "北京", "Beijing", "上海", "Shanghai", "广州", "廣州",
    "Guangzhou", "深圳", "Shenzhen", "成都", "Chengdu", "重庆", "Chongqing", "天津", "Tianjin", "武汉",
    "Wuhan", "杭州", "Hangzhou", "南京", "Nanjing", "西安", "Xi'an", "香港", "Hong Kong", "台北", "臺北",
    "Taipei", "서울", "Seoul", "부산", "Busan", "인천", "Incheon", "대구", "Daegu", "대전", "Daejeon",
    "광주", "Gwangju", "Mumbai", "Delhi", "New Delhi", "Bengaluru", "Bangalore", "Hyderabad",
    "Ahmedabad", "Chennai", "Kolkata", "Pune", "Jaipur", "Surat", "Lucknow", "Kanpur", "Nagpur",
    "मुंबई", "दिल्ली", "Karachi", "Lahore", "Dhaka", "Jakarta", "Surabaya", "Bandung", "Manila",
    "Quezon City", "Bangkok", "กรุงเทพมหานคร", "Ho Chi Minh City", "Hà Nội", "Hanoi",
    "Kuala Lumpur", "Singapore", "Melbourne", "Brisbane", "Perth", "Auckland", "Wellington",
    // Africa and the Middle East.
    "Cairo", "القاهرة", "Alexandria", "Giza", "Lagos", "Kinshasa", "Johannesburg", "Cape Town",
    "Durban", "Nairobi", "Addis Ababa", "Casablanca", "Algiers", "Tunis", "Accra", "Dakar",
    "Tehran", "Baghdad", "Riyadh", "Jeddah", "Dubai", "Abu Dhabi", "Doha", "Tel Aviv",
    "Jerusalem", "Amman", "Beirut",
];

fn folded(word: &str) -> String {
    address::city(word).unwrap_or_default()
}

fn street_words() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        STREET_WORDS
            .iter()
            .map(|w| folded(w))
            .filter(|w| !w.is_empty())
            .collect()
    })
}

fn cities() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        CITIES
            .iter()
            .map(|c| folded(c))
            .filter(|c| !c.is_empty())
            .collect()
    })
}

/// Whether a value names a street, with or without a house number: a street-type word
/// beside the name ("ulica Długa", "Station Road", "Тверская улица"), a street type glued
/// to it ("Hauptstraße", "Goethestr."), or a suffix of a script without spaces ("南京路",
/// "中央通り", "세종대로"). A lone street word is no street: "Lane" and "Court" are
/// surnames.
pub(crate) fn has_street_word(v: &str) -> bool {
    let tokens: Vec<&str> = v.split_whitespace().collect();
    if tokens.is_empty() || tokens.len() > 8 {
        return false;
    }
    let words = street_words();
    let mut letters_tokens = 0;
    let mut typed = false;
    for t in &tokens {
        if CJK_SUFFIXES
            .iter()
            .any(|s| t.ends_with(s) && t.chars().count() > s.chars().count())
        {
            return true;
        }
        let f = folded(t);
        if f.is_empty() {
            continue;
        }
        if f.chars().any(char::is_alphabetic) {
            letters_tokens += 1;
        }
        if words.contains(&f) {
            typed = true;
        } else if GLUED_SUFFIXES
            .iter()
            .any(|s| f.len() >= s.len() + 3 && f.ends_with(s) && f.is_ascii())
        {
            return true;
        }
    }
    typed && letters_tokens >= 2
}

/// Whether a value is a house number: 1 to 9999, perhaps with a letter (`12a`, `12 B`) or
/// a second number (`12-14`, `12/3`). No leading zero in either number: postal codes
/// have them (`72-029`), house numbers do not.
pub(crate) fn is_house_number(v: &str) -> bool {
    let b = v.as_bytes();
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=4).contains(&lead) || b[0] == b'0' {
        return false;
    }
    let rest = v[lead..].trim_start();
    match rest.as_bytes() {
        [] => true,
        [c] => c.is_ascii_alphabetic(),
        [b'-' | b'/', tail @ ..] => {
            let d = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            (1..=4).contains(&d)
                && tail[0] != b'0'
                && tail[d..].iter().all(u8::is_ascii_alphabetic)
                && tail.len() - d <= 1
        }
        _ => false,
    }
}

/// The shape of a postal code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PostalShape {
    /// Digits alone, 4 to 7 of them (which ids and house numbers can be too).
    Digits(usize),
    /// A national pattern no other column has: `72-029`, `105 51`, `SW1A 1AA`, `K1A 0B1`,
    /// `1012 AB`, `01310-100`, `100-0001`, `D-10115`.
    Patterned,
}

/// The postal-code shape of a value, if it has one.
pub(crate) fn postal_shape(v: &str) -> Option<PostalShape> {
    let b = v.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let alpha = |c: &u8| c.is_ascii_uppercase();
    if digits(b) {
        return (4..=7)
            .contains(&b.len())
            .then_some(PostalShape::Digits(b.len()));
    }
    // Two digit groups: PL 00-950, JP 100-0001, BR 01310-100, US 12345-6789, PT 1000-001,
    // GR/SE/CZ/SK 105 51.
    for sep in [b'-', b' '] {
        if let Some(p) = b.iter().position(|c| *c == sep) {
            let (l, r) = (&b[..p], &b[p + 1..]);
            if digits(l) && digits(r) {
                let ok = matches!(
                    (l.len(), r.len(), sep),
                    (2, 3, b'-')
                        | (3, 4, b'-')
                        | (5, 3, b'-')
                        | (5, 4, b'-')
                        | (4, 3, b'-')
                        | (3, 2, b' ')
                );
                return ok.then_some(PostalShape::Patterned);
            }
        }
    }
    let compact: Vec<u8> = b.iter().copied().filter(|c| *c != b' ').collect();
    let c = compact.as_slice();
    let d = |i: usize| c.get(i).is_some_and(u8::is_ascii_digit);
    let a = |i: usize| c.get(i).is_some_and(alpha);
    // NL 1012 AB.
    let nl = c.len() == 6 && (0..4).all(d) && a(4) && a(5) && c[0] != b'0';
    // CA K1A 0B1.
    let ca = c.len() == 6 && a(0) && d(1) && a(2) && d(3) && a(4) && d(5);
    // GB: outward code (A9, A99, AA9, AA99, A9A, AA9A) and inward code 9AA.
    let n = c.len();
    let gb = (5..=7).contains(&n)
        && a(0)
        && d(n - 3)
        && a(n - 2)
        && a(n - 1)
        && c[..n - 3].iter().all(u8::is_ascii_alphanumeric)
        && c[1..n - 3].iter().any(u8::is_ascii_digit)
        && c[..n - 3].iter().take_while(|x| alpha(x)).count() <= 2
        && b.contains(&b' ');
    // Country letters before the code: D-10115, CH-8000, LV-1010.
    let prefixed = v.split_once('-').is_some_and(|(l, r)| {
        (1..=2).contains(&l.len())
            && l.bytes().all(|x| x.is_ascii_uppercase())
            && (4..=5).contains(&r.len())
            && r.bytes().all(|x| x.is_ascii_digit())
    });
    (nl || ca || gb || prefixed).then_some(PostalShape::Patterned)
}

/// Whether a value is one of the large cities of [`CITIES`], however it is written.
pub(crate) fn is_known_city(v: &str) -> bool {
    let f = folded(v);
    !f.is_empty() && cities().contains(&f)
}

/// Whether a value is a personal name written family name first with a comma: "Yıldız,
/// Mehmet", "FLORES, Barbara", "van der Berg, Jan", "Иванов, Иван". "Springfield, IL" and
/// "Paris, France" are places: a region code or a country after the comma is no given
/// name.
pub(crate) fn is_last_comma_first(v: &str) -> bool {
    let Some((last, first)) = v.split_once(',') else {
        return false;
    };
    let (last, first) = (last.trim(), first.trim());
    if first.contains(',') || last.is_empty() || first.is_empty() {
        return false;
    }
    let region_code =
        (2..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_uppercase());
    name::looks_like(last)
        && name::looks_like(first)
        && last.split_whitespace().count() <= 4
        && first.split_whitespace().count() <= 3
        && !region_code
        && !country::looks_like(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_names_in_many_languages() {
        for v in [
            "ulica Długa",
            "Calle de Alcalá",
            "Station Road",
            "Тверская улица",
            "улица Ленина",
            "проспект Мира",
            "Hauptstraße",
            "Bahnhofstr.",
            "Lindenallee",
            "Kirchplatz",
            "rue de la Paix",
            "Via Roma",
            "Piazza Dante",
            "Atatürk Caddesi",
            "Cumhuriyet Sokak",
            "Οδός Ερμού",
            "Λεωφόρος Κηφισίας",
            "南京路",
            "中央通り",
            "세종대로",
            "Nehru Marg",
            "Rua das Flores",
            "Corniche El Nil",
            "Calle Mayor 5",
            "12 Main Street",
            "Keizersgracht",
        ] {
            assert!(has_street_word(v), "{v}");
        }
        for v in [
            "Lane",
            "Maria",
            "Berlin",
            "Rio de Janeiro",
            "García López",
            "Al Hassan",
            "Dr. Smith",
            "Agata",
            "Saint-Étienne",
            "St. Louis",
            "",
        ] {
            assert!(!has_street_word(v), "{v}");
        }
    }

    #[test]
    fn house_numbers() {
        for v in ["1", "166", "9999", "12a", "12 B", "12-14", "7/3"] {
            assert!(is_house_number(v), "{v}");
        }
        for v in ["0", "012", "10000", "12ab", "a12", "72-029", "", "12-"] {
            assert!(!is_house_number(v), "{v}");
        }
    }

    #[test]
    fn postal_shapes() {
        for v in [
            "72-029",
            "105 51",
            "SW1A 1AA",
            "GM9 8TW",
            "M1 1AE",
            "K1A 0B1",
            "1012 AB",
            "01310-100",
            "100-0001",
            "D-10115",
            "12345-6789",
        ] {
            assert_eq!(postal_shape(v), Some(PostalShape::Patterned), "{v}");
        }
        assert_eq!(postal_shape("644770"), Some(PostalShape::Digits(6)));
        assert_eq!(postal_shape("01067"), Some(PostalShape::Digits(5)));
        for v in [
            "166",
            "12345678",
            "C0021814",
            "118080f25fd8",
            "O-00012345",
            "AB-12",
            "Leeds",
        ] {
            assert_eq!(postal_shape(v), None, "{v}");
        }
    }

    #[test]
    fn cities_and_reversed_names() {
        for v in [
            "München",
            "MUNICH",
            "Москва",
            "東京",
            "São Paulo",
            "Saint-Étienne",
            "İzmir",
        ] {
            assert!(is_known_city(v), "{v}");
        }
        for v in ["Mehmet", "Barbara", "Sydney", "Riverside"] {
            assert!(!is_known_city(v), "{v}");
        }
        for v in [
            "Yıldız, Mehmet",
            "Flores, Barbara",
            "FLORES, Barbara",
            "van der Berg, Jan",
            "Иванов, Иван",
            "García López, José María",
        ] {
            assert!(is_last_comma_first(v), "{v}");
        }
        for v in [
            "Springfield, IL",
            "Paris, France",
            "Flores Barbara",
            "a, b, c",
            ", Jan",
        ] {
            assert!(!is_last_comma_first(v), "{v}");
        }
    }
}
