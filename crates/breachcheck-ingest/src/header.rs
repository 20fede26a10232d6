//! Header recognition: is the first row names or data, and what do the names say.
use breachcheck_core::FieldRole;
use breachcheck_normalize::{date, email, phone};

/// Header words (lower case, letters and digits only) and the role they name, in the
/// languages most common in customer data.
const SYNONYMS: &[(&str, FieldRole)] = &[
    ("email", FieldRole::Email),
    ("emailaddress", FieldRole::Email),
    ("mail", FieldRole::Email),
    ("email1", FieldRole::Email),
    ("courriel", FieldRole::Email),
    ("correo", FieldRole::Email),
    ("correoelectronico", FieldRole::Email),
    ("emailadresse", FieldRole::Email),
    ("useremail", FieldRole::Email),
    ("phone", FieldRole::Phone),
    ("phonenumber", FieldRole::Phone),
    ("tel", FieldRole::Phone),
    ("telephone", FieldRole::Phone),
    ("telefon", FieldRole::Phone),
    ("telefono", FieldRole::Phone),
    ("mobile", FieldRole::Phone),
    ("mobilephone", FieldRole::Phone),
    ("cell", FieldRole::Phone),
    ("cellphone", FieldRole::Phone),
    ("handy", FieldRole::Phone),
    ("msisdn", FieldRole::Phone),
    ("phone1", FieldRole::Phone),
    ("telefonnummer", FieldRole::Phone),
    ("portable", FieldRole::Phone),
    ("firstname", FieldRole::FirstName),
    ("givenname", FieldRole::FirstName),
    ("forename", FieldRole::FirstName),
    ("fname", FieldRole::FirstName),
    ("vorname", FieldRole::FirstName),
    ("prenom", FieldRole::FirstName),
    ("nombre", FieldRole::FirstName),
    ("nome", FieldRole::FirstName),
    ("imya", FieldRole::FirstName),
    ("lastname", FieldRole::LastName),
    ("surname", FieldRole::LastName),
    ("familyname", FieldRole::LastName),
    ("lname", FieldRole::LastName),
    ("nachname", FieldRole::LastName),
    ("nom", FieldRole::LastName),
    ("apellido", FieldRole::LastName),
    ("apellidos", FieldRole::LastName),
    ("cognome", FieldRole::LastName),
    ("familiya", FieldRole::LastName),
    ("name", FieldRole::FullName),
    ("fullname", FieldRole::FullName),
    ("customername", FieldRole::FullName),
    ("displayname", FieldRole::FullName),
    ("contactname", FieldRole::FullName),
    ("nomcomplet", FieldRole::FullName),
    ("street", FieldRole::Street),
    ("streetname", FieldRole::Street),
    ("strasse", FieldRole::Street),
    ("rue", FieldRole::Street),
    ("calle", FieldRole::Street),
    ("via", FieldRole::Street),
    ("streetaddress", FieldRole::Address),
    ("address", FieldRole::Address),
    ("address1", FieldRole::Address),
    ("addressline1", FieldRole::Address),
    ("adresse", FieldRole::Address),
    ("direccion", FieldRole::Address),
    ("indirizzo", FieldRole::Address),
    ("shippingaddress", FieldRole::Address),
    ("billingaddress", FieldRole::Address),
    ("housenumber", FieldRole::HouseNumber),
    ("hausnummer", FieldRole::HouseNumber),
    ("hnr", FieldRole::HouseNumber),
    ("streetnumber", FieldRole::HouseNumber),
    ("numero", FieldRole::HouseNumber),
    ("city", FieldRole::City),
    ("town", FieldRole::City),
    ("ort", FieldRole::City),
    ("stadt", FieldRole::City),
    ("ville", FieldRole::City),
    ("ciudad", FieldRole::City),
    ("citta", FieldRole::City),
    ("gorod", FieldRole::City),
    ("locality", FieldRole::City),
    ("zip", FieldRole::PostalCode),
    ("zipcode", FieldRole::PostalCode),
    ("postalcode", FieldRole::PostalCode),
    ("postcode", FieldRole::PostalCode),
    ("plz", FieldRole::PostalCode),
    ("cp", FieldRole::PostalCode),
    ("codepostal", FieldRole::PostalCode),
    ("codigopostal", FieldRole::PostalCode),
    ("cap", FieldRole::PostalCode),
    ("postleitzahl", FieldRole::PostalCode),
    ("state", FieldRole::Region),
    ("region", FieldRole::Region),
    ("province", FieldRole::Region),
    ("bundesland", FieldRole::Region),
    ("county", FieldRole::Region),
    ("country", FieldRole::Country),
    ("countrycode", FieldRole::Country),
    ("land", FieldRole::Country),
    ("pays", FieldRole::Country),
    ("pais", FieldRole::Country),
    ("nationality", FieldRole::Country),
    ("dob", FieldRole::BirthDate),
    ("birthdate", FieldRole::BirthDate),
    ("dateofbirth", FieldRole::BirthDate),
    ("birthday", FieldRole::BirthDate),
    ("geburtsdatum", FieldRole::BirthDate),
    ("datenaissance", FieldRole::BirthDate),
    ("fechanacimiento", FieldRole::BirthDate),
    ("bday", FieldRole::BirthDate),
    ("customerid", FieldRole::CustomerId),
    ("custid", FieldRole::CustomerId),
    ("clientid", FieldRole::CustomerId),
    ("userid", FieldRole::CustomerId),
    ("customerno", FieldRole::CustomerId),
    ("customernumber", FieldRole::CustomerId),
    ("kundennummer", FieldRole::CustomerId),
    ("kundennr", FieldRole::CustomerId),
    ("accountid", FieldRole::CustomerId),
    ("memberid", FieldRole::CustomerId),
    ("id", FieldRole::CustomerId),
    ("uid", FieldRole::CustomerId),
    ("orderid", FieldRole::OrderId),
    ("ordernumber", FieldRole::OrderId),
    ("orderno", FieldRole::OrderId),
    ("bestellnummer", FieldRole::OrderId),
    ("invoiceid", FieldRole::OrderId),
    ("transactionid", FieldRole::OrderId),
    ("username", FieldRole::Username),
    ("user", FieldRole::Username),
    ("login", FieldRole::Username),
    ("nickname", FieldRole::Username),
    ("nick", FieldRole::Username),
    ("handle", FieldRole::Username),
    ("screenname", FieldRole::Username),
    ("password", FieldRole::PasswordHash),
    ("passwordhash", FieldRole::PasswordHash),
    ("pass", FieldRole::PasswordHash),
    ("pwd", FieldRole::PasswordHash),
    ("hash", FieldRole::PasswordHash),
    ("passwd", FieldRole::PasswordHash),
    ("pwhash", FieldRole::PasswordHash),
    ("salt", FieldRole::Ignore),
    // Spanish and Portuguese.
    ("celular", FieldRole::Phone),
    ("movil", FieldRole::Phone),
    ("fone", FieldRole::Phone),
    ("telemovel", FieldRole::Phone),
    ("telefone", FieldRole::Phone),
    ("whatsapp", FieldRole::Phone),
    ("nombrecompleto", FieldRole::FullName),
    ("nomecompleto", FieldRole::FullName),
    ("sobrenome", FieldRole::LastName),
    ("apelidos", FieldRole::LastName),
    ("endereco", FieldRole::Address),
    ("logradouro", FieldRole::Street),
    ("cep", FieldRole::PostalCode),
    ("cidade", FieldRole::City),
    ("estado", FieldRole::Region),
    ("provincia", FieldRole::Region),
    ("datanascimento", FieldRole::BirthDate),
    ("nascimento", FieldRole::BirthDate),
    ("fechadenacimiento", FieldRole::BirthDate),
    ("usuario", FieldRole::Username),
    ("senha", FieldRole::PasswordHash),
    ("contrasena", FieldRole::PasswordHash),
    ("complemento", FieldRole::Ignore),
    // Dates that are not birth dates, and columns that are not identities.
    ("createdat", FieldRole::Ignore),
    ("created", FieldRole::Ignore),
    ("updatedat", FieldRole::Ignore),
    ("updated", FieldRole::Ignore),
    ("registered", FieldRole::Ignore),
    ("registrationdate", FieldRole::Ignore),
    ("signupdate", FieldRole::Ignore),
    ("lastlogin", FieldRole::Ignore),
    ("lastseen", FieldRole::Ignore),
    ("timestamp", FieldRole::Ignore),
    ("orderdate", FieldRole::Ignore),
    ("ip", FieldRole::Ignore),
    ("ipaddress", FieldRole::Ignore),
    ("gender", FieldRole::Ignore),
    ("sex", FieldRole::Ignore),
    ("useragent", FieldRole::Ignore),
    ("status", FieldRole::Ignore),
    ("title", FieldRole::Ignore),
    ("salutation", FieldRole::Ignore),
    ("anrede", FieldRole::Ignore),
    ("civilite", FieldRole::Ignore),
    ("genre", FieldRole::Ignore),
    ("tratamiento", FieldRole::Ignore),
    // Last components of nested keys: "name.first", "contact.phone".
    ("first", FieldRole::FirstName),
    ("given", FieldRole::FirstName),
    ("last", FieldRole::LastName),
    ("family", FieldRole::LastName),
];

/// Words that name a role only on their own: "first_order_date" is not a first name.
const EXACT_ONLY: &[&str] = &[
    "first", "given", "last", "family", "land", "user", "pass", "hash", "state", "login",
];

/// Header name folded for lookup: lower case, ASCII letters and digits only.
pub(crate) fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The role a header name suggests. A dotted name (a flattened JSON key) is judged by its
/// last component first: `name.first` is a first name, not a full name.
pub(crate) fn role_of(name: &str) -> Option<FieldRole> {
    if let Some((_, last)) = name.rsplit_once('.') {
        if let Some(r) = role_of(last) {
            return Some(r);
        }
    }
    let f = fold(name);
    if let Some((_, r)) = SYNONYMS.iter().find(|(k, _)| *k == f) {
        return Some(*r);
    }
    // Prefixed or suffixed names: "billing_email", "customer_phone_number".
    SYNONYMS
        .iter()
        .filter(|(k, _)| k.len() >= 4 && !EXACT_ONLY.contains(k) && f.contains(k))
        .max_by_key(|(k, _)| k.len())
        .map(|(_, r)| *r)
}

fn looks_like_value(cell: &str) -> bool {
    let c = cell.trim();
    email::looks_like(c)
        || phone::looks_like(c)
        || date::looks_like(c)
        // Header names carry a digit or two ("address_line1", "phone2"); values carry more.
        || c.chars().filter(char::is_ascii_digit).count() >= 3
}

/// Whether the first of `rows` is a header: some cell is a known header word, or no cell
/// looks like a value while the rows below hold values in those columns.
pub(crate) fn is_header(rows: &[Vec<String>]) -> bool {
    let Some(first) = rows.first() else {
        return false;
    };
    if first.iter().any(|c| looks_like_value(c)) {
        return false;
    }
    if first.iter().any(|c| role_of(c).is_some()) {
        return true;
    }
    let rest = &rows[1..];
    if rest.is_empty() {
        return false;
    }
    // A column whose body is mostly values but whose first cell is not: a header.
    (0..first.len()).any(|i| {
        let vals = rest
            .iter()
            .filter_map(|r| r.get(i))
            .filter(|c| !c.trim().is_empty());
        let (mut n, mut v) = (0, 0);
        for c in vals {
            n += 1;
            v += usize::from(looks_like_value(c));
        }
        n > 0 && v * 10 >= n * 8
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn header_words_in_many_languages() {
        assert_eq!(role_of("E-Mail"), Some(FieldRole::Email));
        assert_eq!(role_of("Vorname"), Some(FieldRole::FirstName));
        assert_eq!(role_of("billing_email_address"), Some(FieldRole::Email));
        assert_eq!(role_of("PLZ"), Some(FieldRole::PostalCode));
        assert_eq!(role_of("xyz"), None);
        assert_eq!(role_of("name.first"), Some(FieldRole::FirstName));
        assert_eq!(role_of("contact.mobile"), Some(FieldRole::Phone));
        assert_eq!(role_of("last_login"), Some(FieldRole::Ignore));
        assert_eq!(role_of("created_at"), Some(FieldRole::Ignore));
        assert_eq!(role_of("nome_completo"), Some(FieldRole::FullName));
        assert_eq!(role_of("data_nascimento"), Some(FieldRole::BirthDate));
        assert_eq!(role_of("Celular"), Some(FieldRole::Phone));
    }

    #[test]
    fn detects_header_rows() {
        assert!(is_header(&rows(&[
            &["mail", "tel"],
            &["a@example.org", "+491511234567"]
        ])));
        assert!(is_header(&rows(&[
            &["kolumna", "b"],
            &["a@example.org", "+491511234567"]
        ])));
        assert!(!is_header(&rows(&[
            &["a@example.org", "Ana"],
            &["b@example.org", "Bo"]
        ])));
        assert!(!is_header(&rows(&[&["Ana", "Lopez"], &["Bo", "Li"]])));
        assert!(is_header(&rows(&[
            &["email1", "address_line1"],
            &["a@example.org", "Main St 5"]
        ])));
        assert!(!is_header(&rows(&[
            &["C1000001", "Ana"],
            &["C1000002", "Bo"]
        ])));
    }
}
