//! Inserting lines at marker comments.

use std::cmp::Ordering;

use super::Injection;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` holds `needle` without continuing a word at either end:
/// where `needle` starts (or ends) with an identifier character, the text
/// before (or after) it must not be one (so `mod a` is not found in
/// `mod ab;`, nor `Dto` in `ADto`).
pub(super) fn contains_words(text: &str, needle: &str) -> bool {
    let open_start = !needle.starts_with(is_word_char);
    let open_end = !needle.ends_with(is_word_char);
    text.match_indices(needle).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + needle.len()..].chars().next();
        (open_start || !before.is_some_and(is_word_char))
            && (open_end || !after.is_some_and(is_word_char))
    })
}

/// `text` with the injection's lines inserted at its marker, indented as the
/// marker is; `None` when the marker is missing.
pub(super) fn insert(text: &str, injection: &Injection) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let marker = lines
        .iter()
        .position(|line| line.trim() == injection.marker)?;
    let indent: String = lines[marker]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let new_lines: Vec<String> = injection
        .text
        .lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("{indent}{line}\n")
            }
        })
        .collect();
    let at = if injection.sorted {
        sorted_position(&lines, marker, injection.text.trim())
    } else {
        marker
    };
    let mut out = String::with_capacity(text.len() + injection.text.len() + 16);
    for line in &lines[..at] {
        out.push_str(line);
    }
    for line in &new_lines {
        out.push_str(line);
    }
    for line in &lines[at..] {
        out.push_str(line);
    }
    Some(out)
}

/// Where `line` goes in the run of lines of the same kind (same text before
/// the last word: `pub mod `, `mod `) just above the marker, in rustfmt's
/// order.
fn sorted_position(lines: &[&str], marker: usize, line: &str) -> usize {
    let prefix = match line.rfind(' ') {
        Some(space) => &line[..=space],
        None => return marker,
    };
    let mut start = marker;
    while start > 0 && lines[start - 1].trim_start().starts_with(prefix) {
        start -= 1;
    }
    (start..marker)
        .find(|&i| version_cmp(lines[i].trim(), line) == Ordering::Greater)
        .unwrap_or(marker)
}

/// Compares as rustfmt sorts names: runs of digits by value, the rest by
/// character.
fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let x_len = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                let y_len = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
                let (x_num, y_num) = (
                    a[..x_len].trim_start_matches('0'),
                    b[..y_len].trim_start_matches('0'),
                );
                let by_value = x_num.len().cmp(&y_num.len()).then_with(|| x_num.cmp(y_num));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                a = &a[x_len..];
                b = &b[y_len..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                a = &a[x.len_utf8()..];
                b = &b[y.len_utf8()..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn injection(marker: &'static str, text: &str, sorted: bool) -> Injection {
        Injection {
            path: PathBuf::from("f.rs"),
            marker,
            text: text.to_owned(),
            present: text.trim().to_owned(),
            sorted,
        }
    }

    #[test]
    fn words_are_whole() {
        assert!(contains_words("pub mod a;\n", "pub mod a;"));
        assert!(!contains_words("pub mod ab;\n", "mod a"));
        assert!(contains_words("x pub struct ADto {", "pub struct ADto"));
        assert!(!contains_words("pub struct ADtoB {", "pub struct ADto"));
        assert!(!contains_words("pub struct BADto {", "ADto"));
        assert!(contains_words(
            "services::a::register(app)",
            "services::a::register("
        ));
        assert!(!contains_words(
            "x_services::a::register(app)",
            "services::a::register("
        ));
    }

    #[test]
    fn lines_go_above_the_marker_with_its_indentation() {
        let text = "fn f() {\n    let a = 1;\n    // m\n    a\n}\n";
        let out =
            insert(text, &injection("// m", "let b = 2;\nlet c = 3;\n", false)).expect("marker");
        assert_eq!(
            out,
            "fn f() {\n    let a = 1;\n    let b = 2;\n    let c = 3;\n    // m\n    a\n}\n"
        );
    }

    #[test]
    fn blank_lines_stay_blank() {
        let out = insert(
            "//! doc\n\n// m\n",
            &injection("// m", "struct A;\n\n", false),
        )
        .expect("marker");
        assert_eq!(out, "//! doc\n\nstruct A;\n\n// m\n");
    }

    #[test]
    fn mod_lines_go_in_order() {
        let text = "//! doc\n\npub mod entity;\npub mod security;\n// m\n";
        let out = insert(text, &injection("// m", "pub mod publish;\n", true)).expect("marker");
        assert_eq!(
            out,
            "//! doc\n\npub mod entity;\npub mod publish;\npub mod security;\n// m\n"
        );
        let out = insert(&out, &injection("// m", "pub mod zeta;\n", true)).expect("marker");
        assert!(out.ends_with("pub mod security;\npub mod zeta;\n// m\n"));
        let out = insert(&out, &injection("// m", "pub mod a;\n", true)).expect("marker");
        assert!(out.starts_with("//! doc\n\npub mod a;\npub mod entity;\n"));
    }

    #[test]
    fn a_missing_marker_is_none() {
        assert_eq!(
            insert("fn f() {}\n", &injection("// m", "x\n", false)),
            None
        );
        assert_eq!(
            insert("// m but more\n", &injection("// m", "x\n", false)),
            None
        );
    }

    #[test]
    fn versions_sort_by_number() {
        assert_eq!(version_cmp("mod v2;", "mod v10;"), Ordering::Less);
        assert_eq!(version_cmp("mod a_b;", "mod ab;"), Ordering::Less);
        assert_eq!(
            version_cmp("mod profile;", "mod profile_publish;"),
            Ordering::Less
        );
        assert_eq!(version_cmp("mod a;", "mod a;"), Ordering::Equal);
    }
}
