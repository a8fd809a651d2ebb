//! A header as words: split on separators, camelCase and digits (`Cntct_Fst`, `FName`,
//! `Email1`), folded (case, accents), and each abbreviation or foreign word replaced by the
//! English word the synonyms use (`fst` -> `first`, `vorname` -> `first name`).
//!
//! Exists so that the synonym table stays one list in one language while legacy exports
//! (abbreviated) and exports in other languages still match. Small tables only: this runs in
//! the parse worker.

use crate::text::fold_header;

/// Inserts a space where a word ends inside a header: `firstName` -> `first Name`, `FName` ->
/// `F Name`, `Email1` -> `Email 1` (but not in `CNTCT`, `E-Mail`).
fn split_words(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let p = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_uppercase() && c.is_uppercase() && next_lower)
                || (p.is_alphabetic() && c.is_ascii_digit())
                || (p.is_ascii_digit() && c.is_alphabetic());
            if boundary {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

/// Abbreviations and other languages' words, folded, to the English words of the synonyms.
/// One header word may become two (`vorname` -> `first name`).
const CANONICAL: &[(&str, &str)] = &[
    // abbreviations of legacy systems
    ("fst", "first"),
    ("frst", "first"),
    ("lst", "last"),
    ("nm", "name"),
    ("nme", "name"),
    ("cntct", "contact"),
    ("cont", "contact"),
    ("cust", "customer"),
    ("cstmr", "customer"),
    ("clnt", "client"),
    ("eml", "email"),
    ("emal", "email"),
    ("addr", "address"),
    ("adr", "address"),
    ("phn", "phone"),
    ("ph", "phone"),
    ("mob", "mobile"),
    ("grp", "group"),
    ("cmnt", "comment"),
    ("mktg", "marketing"),
    ("mkt", "marketing"),
    ("co", "company"),
    ("dt", "date"),
    // German
    ("vorname", "first name"),
    ("nachname", "last name"),
    ("familienname", "last name"),
    ("adresse", "address"),
    ("strasse", "street"),
    ("straße", "street"),
    ("plz", "zip"),
    ("ort", "city"),
    ("stadt", "city"),
    ("land", "country"),
    ("telefon", "phone"),
    ("handy", "mobile"),
    ("firma", "company"),
    ("unternehmen", "company"),
    ("geburtstag", "birthday"),
    ("notiz", "note"),
    ("notizen", "notes"),
    ("anmerkung", "note"),
    ("anmerkungen", "notes"),
    ("bemerkung", "note"),
    ("bemerkungen", "notes"),
    ("kommentar", "comment"),
    ("gruppe", "group"),
    ("kundengruppe", "customer group"),
    ("kunde", "customer"),
    ("datum", "date"),
    // French
    ("prenom", "first name"),
    ("courriel", "email"),
    ("telephone", "phone"),
    ("portable", "mobile"),
    ("rue", "street"),
    ("ville", "city"),
    ("pays", "country"),
    ("societe", "company"),
    ("entreprise", "company"),
    ("remarque", "note"),
    ("commentaire", "comment"),
    ("commentaires", "comments"),
    ("groupe", "group"),
    ("naissance", "birthday"),
    // Spanish, Portuguese, Italian
    ("nombre", "name"),
    ("apellido", "last name"),
    ("apellidos", "last name"),
    ("nome", "name"),
    ("cognome", "last name"),
    ("sobrenome", "last name"),
    ("apelido", "last name"),
    ("correo", "email"),
    ("telefono", "phone"),
    ("movil", "mobile"),
    ("celular", "mobile"),
    ("cellulare", "mobile"),
    ("direccion", "address"),
    ("endereco", "address"),
    ("indirizzo", "address"),
    ("calle", "street"),
    ("ciudad", "city"),
    ("cidade", "city"),
    ("citta", "city"),
    ("pais", "country"),
    ("empresa", "company"),
    ("azienda", "company"),
    ("nota", "note"),
    ("notas", "notes"),
    ("comentario", "comment"),
    ("comentarios", "comments"),
    ("commento", "comment"),
    ("grupo", "group"),
    ("gruppo", "group"),
    ("fecha", "date"),
    // Dutch, Polish
    ("voornaam", "first name"),
    ("achternaam", "last name"),
    ("naam", "name"),
    ("opmerking", "note"),
    ("opmerkingen", "notes"),
    ("groep", "group"),
    ("emailadres", "email address"),
    ("mailadres", "mail address"),
    ("telefoonnummer", "phone"),
    ("woonplaats", "city"),
    ("adres", "address"),
    ("telefone", "phone"),
    ("observacoes", "notes"),
    ("imie", "first name"),
    ("nazwisko", "last name"),
    ("uwagi", "notes"),
    ("grupa", "group"),
    ("miasto", "city"),
    // Russian (Bulgarian words are in the synonyms themselves)
    ("имя", "name"),
    ("отчество", "middle name"),
    ("почта", "поща"),
    ("емеил", "имеил"),
    ("примечание", "note"),
    ("комментарии", "comment"),
    ("группа", "group"),
    ("город", "city"),
    ("страна", "country"),
    ("рождения", "birthday"),
];

fn canonical(word: &str) -> Option<&'static str> {
    CANONICAL.iter().find(|(k, _)| *k == word).map(|(_, v)| *v)
}

/// The header's words, folded, abbreviations and foreign words made English.
/// `F Name` and `L Name` (from `FName`, `F_Name`) are the first and the last name.
pub(crate) fn header_words(header: &str) -> Vec<String> {
    let folded = fold_header(&split_words(header));
    let raw: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<String> = Vec::with_capacity(raw.len() + 1);
    for (i, w) in raw.iter().enumerate() {
        let before_name = raw
            .get(i + 1)
            .is_some_and(|n| matches!(*n, "name" | "nm" | "nme"));
        let word = match *w {
            "f" | "fn" if before_name => "first",
            "l" | "ln" if before_name => "last",
            w => canonical(w).unwrap_or(w),
        };
        out.extend(word.split(' ').map(str::to_string));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn headers_split_into_english_words() {
        let w = |h: &str| header_words(h).join(" ");
        assert_eq!(w("Cntct_Fst"), "contact first");
        assert_eq!(w("FName"), "first name");
        assert_eq!(w("F_Name"), "first name");
        assert_eq!(w("LName"), "last name");
        assert_eq!(w("firstName"), "first name");
        assert_eq!(w("Email1"), "email 1");
        assert_eq!(w("Tax1"), "tax 1");
        assert_eq!(w("E-Mail-Adresse"), "e mail address");
        assert_eq!(w("Prénom"), "first name");
        assert_eq!(w("CNTCT_LST"), "contact last");
        assert_eq!(w("First Date"), "first date");
        assert_eq!(w("Имя"), "name");
        assert_eq!(w("Фамилия"), "фамилия");
    }
}
