//! A header as words: split on separators, camelCase and digits (`Cntct_Fst`, `FName`,
//! `Email1`), folded (case, accents), and each abbreviation or foreign word replaced by the
//! English word the synonyms use (`fst` -> `first`, `vorname` -> `first name`).
//!
//! Exists so that the synonym table stays one list in one language while legacy exports
//! (abbreviated) and exports in other languages still match. Small tables only: this runs in
//! the parse worker.

use crate::text::fold_header;

/// Inserts a space where a word ends inside a header: `firstName` -> `first Name`, `FName` ->
/// `F Name`, `Email1` -> `Email 1` (but not in `CNTCT`, `E-Mail`). ASCII case only: camelCase
/// headers are programmers' (and Unicode case tables would weigh on the worker).
fn split_words(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.char_indices() {
        if i > 0 {
            let p = b[i - 1];
            let c0 = b[i];
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            let letter = |x: u8| x.is_ascii_alphabetic() || x >= 0x80;
            let boundary = (p.is_ascii_lowercase() && c0.is_ascii_uppercase())
                || (p.is_ascii_uppercase() && c0.is_ascii_uppercase() && next_lower)
                || (letter(p) && c0.is_ascii_digit())
                || (p.is_ascii_digit() && letter(c0));
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
/// Abbreviations (of legacy systems) and other languages' words (German, French, Spanish,
/// Portuguese, Italian, Dutch, Polish, Russian) for the fields, folded, to the English words of
/// the synonyms: `key=words;`. One string rather than a slice of pairs, and only the words of
/// importable fields (plus the commonest phone, address and company words): the table weighs
/// on the parse worker. Other columns are judged by their values (phones, companies, dates).
const CANONICAL: &str = "fst=first;frst=first;lst=last;nm=name;nme=name;cntct=contact;cust=customer;clnt=client;\
     eml=email;emal=email;addr=address;phn=phone;grp=group;cmnt=comment;mktg=marketing;\
     co=company;vorname=first name;nachname=last name;familienname=last name;notiz=note;\
     notizen=notes;anmerkung=note;bemerkung=note;kommentar=comment;gruppe=group;\
     kundengruppe=customer group;prenom=first name;courriel=email;remarque=note;\
     commentaire=comment;groupe=group;nombre=name;apellido=last name;apellidos=last name;\
     nome=name;cognome=last name;sobrenome=last name;correo=email;nota=note;notas=notes;\
     comentario=comment;grupo=group;gruppo=group;voornaam=first name;achternaam=last name;\
     naam=name;opmerking=note;opmerkingen=notes;groep=group;emailadres=email address;\
     mailadres=mail address;imie=first name;nazwisko=last name;uwagi=notes;grupa=group;\
     имя=name;отчество=middle name;почта=поща;емеил=имеил;примечание=note;комментарии=comment;\
     группа=group;telefon=phone;telephone=phone;telefono=phone;adresse=address;firma=company;\
     empresa=company;";

fn canonical(word: &str) -> Option<&'static str> {
    CANONICAL
        .split(';')
        .find_map(|e| e.strip_prefix(word)?.strip_prefix('='))
}

/// The header's words, folded, abbreviations and foreign words made English, joined by one
/// space. `F Name` and `L Name` (from `FName`, `F_Name`) are the first and the last name.
pub(crate) fn header_words(header: &str) -> String {
    let folded = fold_header(&split_words(header));
    let mut out = String::with_capacity(folded.len() + 8);
    let mut words = folded.split(' ').peekable();
    while let Some(w) = words.next() {
        let before_name = words
            .peek()
            .is_some_and(|n| matches!(*n, "name" | "nm" | "nme"));
        let word = match w {
            "f" | "fn" if before_name => "first",
            "l" | "ln" if before_name => "last",
            w => canonical(w).unwrap_or(w),
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn headers_split_into_english_words() {
        let w = header_words;
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
