//! String formats (`format` in the schema) and their checks.
//!
//! `email` follows validator.js's `isEmail` with class-validator's defaults
//! (UTF-8 local parts, a top-level domain required, no IP domains); the date
//! formats accept what the chrono types behind them deserialize.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::rules::Constraint;

/// A string format the validator checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `email`: `isEmail`.
    Email,
    /// `date-time` (`DateTime<Tz>`): RFC 3339, `isDateString`.
    DateTime,
    /// `date` (`NaiveDate`): `isDateString`.
    Date,
    /// `partial-date-time` (`NaiveDateTime`): `isDateString`.
    LocalDateTime,
    /// `uuid`: `isUuid`.
    Uuid,
    /// `ipv4`: `isIp`.
    Ipv4,
    /// `ipv6`: `isIp`.
    Ipv6,
    /// `ip`: `isIp`.
    Ip,
}

impl Format {
    /// The format of a schema's `format` keyword, `None` for formats that are
    /// only annotations here (`uri`, `hostname`, ...).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "email" => Self::Email,
            "date-time" => Self::DateTime,
            "date" => Self::Date,
            "partial-date-time" => Self::LocalDateTime,
            "uuid" => Self::Uuid,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            "ip" => Self::Ip,
            _ => return None,
        })
    }

    /// The constraint reported when a value is not in this format.
    pub(crate) fn constraint(self) -> Constraint {
        match self {
            Self::Email => Constraint::IsEmail,
            Self::DateTime | Self::Date | Self::LocalDateTime => Constraint::IsDateString,
            Self::Uuid => Constraint::IsUuid,
            Self::Ipv4 | Self::Ipv6 | Self::Ip => Constraint::IsIp,
        }
    }

    /// Whether `s` is in this format.
    pub(crate) fn matches(self, s: &str) -> bool {
        match self {
            Self::Email => is_email(s),
            Self::DateTime => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Self::Date => s.parse::<chrono::NaiveDate>().is_ok(),
            Self::LocalDateTime => s.parse::<chrono::NaiveDateTime>().is_ok(),
            Self::Uuid => uuid::Uuid::try_parse(s).is_ok(),
            Self::Ipv4 => s.parse::<Ipv4Addr>().is_ok(),
            Self::Ipv6 => s.parse::<Ipv6Addr>().is_ok(),
            Self::Ip => s.parse::<IpAddr>().is_ok(),
        }
    }
}

/// JavaScript's `String.prototype.trim` white space (WhiteSpace and LineTerminator).
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Length of `s` in UTF-16 code units, as JavaScript's `length`.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// validator.js `isEmail(s)` with default options.
fn is_email(s: &str) -> bool {
    if utf16_len(s) > 254 {
        return false;
    }
    let Some((user, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if user.len() > 64 || domain.len() > 254 || !is_fqdn(domain) {
        return false;
    }
    if let Some(quoted) = user.strip_prefix('"') {
        return quoted.strip_suffix('"').is_some_and(is_quoted_user);
    }
    user.split('.').all(|part| {
        !part.is_empty()
            && part.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "!#$%&'*+-/=?^_`{|}~".contains(c)
                    || matches!(c, '\u{a1}'..='\u{d7ff}' | '\u{f900}'..='\u{fdcf}' | '\u{fdf0}'..='\u{ffef}')
            })
    })
}

/// The inside of a quoted local part: printable ASCII except `"` and `\`, or
/// a backslash escape.
fn is_quoted_user(inner: &str) -> bool {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = match c {
            '\\' => chars.next().is_some_and(
                |e| matches!(e, '\u{1}'..='\u{9}' | '\u{b}' | '\u{c}' | '\u{d}'..='\u{7f}'),
            ),
            '"' => false,
            c => {
                is_js_whitespace(c)
                    || matches!(c, '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}' | '!' | '#'..='[' | ']'..='~')
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

/// validator.js `isFQDN(s)` with `require_tld`, no trailing dot, no underscores.
fn is_fqdn(domain: &str) -> bool {
    let mut parts = domain.split('.');
    let Some(tld) = domain.rsplit('.').next() else {
        return false;
    };
    if !domain.contains('.') || !is_tld(tld) {
        return false;
    }
    parts.all(|part| {
        utf16_len(part) <= 63
            && !part.is_empty()
            && !part.starts_with('-')
            && !part.ends_with('-')
            && part.chars().all(|c| {
                (c.is_ascii_alphanumeric() || c == '-' || c >= '\u{a1}')
                    && !matches!(c, '\u{ff01}'..='\u{ff5e}')
            })
    })
}

/// A top-level domain: two or more letters, or an `xn--` punycode label.
fn is_tld(tld: &str) -> bool {
    let letters = utf16_len(tld) >= 2
        && tld.chars().all(|c| {
            c.is_ascii_alphabetic()
                || matches!(c, '\u{a1}'..='\u{a8}' | '\u{aa}'..='\u{d7ff}' | '\u{f900}'..='\u{fdcf}' | '\u{fdf0}'..='\u{ffef}')
        });
    let punycode = tld.len() >= 4
        && tld.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("xn"))
        && tld[2..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    (letters || punycode) && !tld.chars().any(is_js_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_emails() {
        for ok in [
            "a@b.co",
            "hmws.c@peer.test",
            "first.last+tag@sub.example.com",
            "o'neil@example.org",
            "\"quoted name\"@example.com",
            "josé@exämple.de",
            "user@xn--bcher-kva.example",
        ] {
            assert!(is_email(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_emails() {
        for bad in [
            "not-an-email",
            "",
            "@example.com",
            "a@",
            "a@localhost",
            "a@b.c",
            "a@b.123",
            ".a@b.com",
            "a.@b.com",
            "a..b@b.com",
            "a b@b.com",
            "a@-b.com",
            "a@b-.com",
            "a@b_c.com",
            "a@b.com.",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "  hmws.c@peer.test ",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn refuses_overlong_emails() {
        let user = "a".repeat(65);
        assert!(!is_email(&format!("{user}@example.com")));
        let label = "a".repeat(64);
        assert!(!is_email(&format!("a@{label}.com")));
        let long = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        assert!(!is_email(&long));
    }

    #[test]
    fn checks_dates() {
        assert!(Format::DateTime.matches("2024-05-01T12:30:00.000Z"));
        assert!(Format::DateTime.matches("2024-05-01T12:30:00+02:00"));
        assert!(!Format::DateTime.matches("2024-05-01"));
        assert!(!Format::DateTime.matches("yesterday"));
        assert!(Format::Date.matches("2024-05-01"));
        assert!(!Format::Date.matches("2024-13-01"));
        assert!(Format::LocalDateTime.matches("2024-05-01T12:30:00"));
    }

    #[test]
    fn checks_uuids_and_ips() {
        assert!(Format::Uuid.matches("67e55044-10b1-426f-9247-bb680e5fe0c8"));
        assert!(!Format::Uuid.matches("67e55044"));
        assert!(Format::Ipv4.matches("10.0.0.1"));
        assert!(!Format::Ipv4.matches("::1"));
        assert!(Format::Ip.matches("::1"));
        assert_eq!(Format::parse("uri"), None);
        assert_eq!(Format::Ip.constraint().as_str(), "isIp");
    }

    #[test]
    fn trims_like_javascript() {
        assert!(is_js_whitespace('\u{feff}'));
        assert!(!is_js_whitespace('\u{85}'));
        assert_eq!(utf16_len("a😀"), 3);
    }
}
