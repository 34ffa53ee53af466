//! When a self sign-up is probably a patient the practice already has (issue 11, item 6): the
//! same last name, the same date of birth, and the same first three letters of the first name
//! ("Kate" signs up and the practice has "Katherine"). Names are compared after folding: accents
//! removed ("Zoë" = "Zoe"), case ignored, and runs of spaces, hyphens and apostrophes ignored
//! ("O'Neil" = "ONeil", "Mary  Ann" = "Mary Ann"), so that typing differences do not create a
//! second record for one person.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// How many leading letters of the first name must agree.
pub const FIRST_NAME_PREFIX: usize = 3;

/// A name as the match compares it: decomposed (NFKD), accents dropped, lower case, with only
/// letters and digits kept.
pub fn fold(name: &str) -> String {
    name.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Who a record or a sign-up says the person is.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub date_of_birth: NaiveDate,
}

/// Whether a sign-up and a record are probably the same person.
pub fn is_probable_match(signup: &Identity<'_>, record: &Identity<'_>) -> bool {
    if signup.date_of_birth != record.date_of_birth {
        return false;
    }
    let (last_a, last_b) = (fold(signup.last_name), fold(record.last_name));
    if last_a.is_empty() || last_a != last_b {
        return false;
    }
    let prefix = |s: &str| fold(s).chars().take(FIRST_NAME_PREFIX).collect::<String>();
    let (first_a, first_b) = (prefix(signup.first_name), prefix(record.first_name));
    !first_a.is_empty() && first_a == first_b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id<'a>(first: &'a str, last: &'a str, dob: (i32, u32, u32)) -> Identity<'a> {
        Identity {
            first_name: first,
            last_name: last,
            date_of_birth: NaiveDate::from_ymd_opt(dob.0, dob.1, dob.2).unwrap(),
        }
    }

    const DOB: (i32, u32, u32) = (1990, 4, 1);

    #[test]
    fn same_last_name_birth_date_and_first_three_letters_match() {
        assert!(is_probable_match(
            &id("Kate", "Lee", DOB),
            &id("Katherine", "Lee", DOB)
        ));
    }

    #[test]
    fn accents_case_and_spacing_are_ignored() {
        assert!(is_probable_match(
            &id("zoë", " O'NEIL ", DOB),
            &id("Zoe", "O Neil", DOB)
        ));
        assert!(is_probable_match(
            &id("  ÉLODIE", "Müller-Smith", DOB),
            &id("Elo", "mullersmith", DOB)
        ));
        assert_eq!(fold(" José  María "), "josemaria");
    }

    #[test]
    fn a_different_birth_date_last_name_or_first_letters_does_not_match() {
        let record = id("Katherine", "Lee", DOB);
        assert!(!is_probable_match(
            &id("Kate", "Lee", (1990, 4, 2)),
            &record
        ));
        assert!(!is_probable_match(&id("Kate", "Li", DOB), &record));
        assert!(!is_probable_match(&id("Kay", "Lee", DOB), &record));
    }

    #[test]
    fn short_first_names_compare_what_there_is() {
        assert!(is_probable_match(
            &id("Al", "Lee", DOB),
            &id("Al", "Lee", DOB)
        ));
        assert!(!is_probable_match(
            &id("Al", "Lee", DOB),
            &id("Alan", "Lee", DOB)
        ));
        // A name with no letters left matches nothing.
        assert!(!is_probable_match(
            &id("-", "Lee", DOB),
            &id("-", "Lee", DOB)
        ));
    }
}
