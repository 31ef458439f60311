//! Names given on the command line, checked and turned into the forms the
//! generated code uses.

use std::fmt;

/// Rust keywords (strict and reserved, edition 2024): not usable as module
/// names.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crates every Rust program can name: a package of that name would hide them.
const BUILTIN_CRATES: &[&str] = &["alloc", "core", "proc_macro", "std", "test"];

/// The action strings abilities read as CRUD actions: a command of one of
/// these names could not be given abilities.
const CRUD_ACTIONS: &[&str] = &[
    "create", "read", "update", "delete", "crud", "cru", "crd", "cud", "rud", "cr", "cu", "cd",
    "ru", "rd", "ud",
];

/// Why a name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} name `{name}`: {reason}")]
pub struct NameError {
    /// `project`, `service`, `command` or `migration`.
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A project name: the package name as given (`my-app`) and the crate's
/// identifier (`my_app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName {
    /// The package and directory name.
    pub package: String,
    /// The crate name in Rust paths.
    pub ident: String,
}

impl ProjectName {
    /// Checks a project name: lower-case ASCII letters, digits, `-` and `_`,
    /// starting with a letter; not a keyword, a built-in crate, nor one of
    /// `taken` (the template's dependencies).
    ///
    /// # Errors
    ///
    /// [`NameError`] saying what is wrong.
    pub fn parse(name: &str, taken: &[String]) -> Result<Self, NameError> {
        let error = |reason: &str| NameError {
            what: "project",
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(error("it must start with a lower-case letter"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(error(
                "use lower-case ASCII letters, digits, `-` and `_` only",
            ));
        }
        let ident = name.replace('-', "_");
        if KEYWORDS.contains(&ident.as_str()) || BUILTIN_CRATES.contains(&ident.as_str()) {
            return Err(error("it is reserved by Rust"));
        }
        if taken.iter().any(|t| t.replace('-', "_") == ident) {
            return Err(error("the project depends on a crate of that name"));
        }
        Ok(Self {
            package: name.to_owned(),
            ident,
        })
    }
}

/// The words of a name: split at `-`, `_` and before an upper-case letter
/// that follows a lower-case letter or a digit, lower-cased.
fn words(what: &'static str, name: &str) -> Result<Vec<String>, NameError> {
    let error = |reason: &str| NameError {
        what,
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(error("it must start with a letter"));
    }
    let mut words: Vec<String> = vec![String::new()];
    let mut previous: Option<char> = None;
    for c in name.chars() {
        match c {
            '-' | '_' => {
                if words.last().is_some_and(String::is_empty) {
                    return Err(error(
                        "it has an empty word (doubled or trailing `-` or `_`)",
                    ));
                }
                words.push(String::new());
            }
            c if c.is_ascii_alphanumeric() => {
                let boundary = c.is_ascii_uppercase()
                    && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
                if boundary {
                    words.push(String::new());
                }
                if let Some(word) = words.last_mut() {
                    word.push(c.to_ascii_lowercase());
                }
            }
            _ => return Err(error("use ASCII letters, digits, `-` and `_` only")),
        }
        previous = Some(c);
    }
    if words.last().is_some_and(String::is_empty) {
        return Err(error(
            "it has an empty word (doubled or trailing `-` or `_`)",
        ));
    }
    Ok(words)
}

fn pascal(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A service name in its three forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName {
    /// In routes and abilities: `user-profile`.
    pub kebab: String,
    /// Module, table and file names: `user_profile`.
    pub snake: String,
    /// In type names: `UserProfile`.
    pub pascal: String,
}

impl ServiceName {
    /// Reads a service name given as `user-profile`, `user_profile` or
    /// `userProfile`.
    ///
    /// # Errors
    ///
    /// [`NameError`] for characters other than ASCII letters, digits, `-`
    /// and `_`, a name not starting with a letter, or a keyword.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let words = words("service", name)?;
        let snake = words.join("_");
        if KEYWORDS.contains(&snake.as_str()) {
            return Err(NameError {
                what: "service",
                name: name.to_owned(),
                reason: "it is a Rust keyword".into(),
            });
        }
        Ok(Self {
            kebab: words.join("-"),
            snake,
            pascal: pascal(&words),
        })
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kebab)
    }
}

/// A command name in its two forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdName {
    /// In routes, abilities and file names: `publish_post`.
    pub snake: String,
    /// In type names: `PublishPost`.
    pub pascal: String,
}

/// Module names a service directory already uses.
const SERVICE_MODULES: &[&str] = &["entity", "security"];

impl CmdName {
    /// Reads a command name given as `publish_post`, `publish-post` or
    /// `publishPost`.
    ///
    /// # Errors
    ///
    /// [`NameError`] as for [`ServiceName::parse`], and for names that
    /// abilities read as CRUD actions (`create`, `crud`, `ru`, …) or that a
    /// service's modules use (`entity`, `security`).
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let words = words("command", name)?;
        let snake = words.join("_");
        let error = |reason: &str| NameError {
            what: "command",
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if KEYWORDS.contains(&snake.as_str()) {
            return Err(error("it is a Rust keyword"));
        }
        if CRUD_ACTIONS.contains(&snake.as_str()) {
            return Err(error("abilities read it as a CRUD action"));
        }
        if SERVICE_MODULES.contains(&snake.as_str()) {
            return Err(error("a service's module has that name"));
        }
        Ok(Self {
            pascal: pascal(&words),
            snake,
        })
    }
}

impl fmt::Display for CmdName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.snake)
    }
}

/// A migration's name: its words in snake_case (`add_post_summary`, from
/// `add-post-summary` or `addPostSummary`), the end of its module's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationName {
    /// snake_case.
    pub snake: String,
}

impl MigrationName {
    /// Reads a migration name given as `add_post_summary`,
    /// `add-post-summary` or `addPostSummary`.
    ///
    /// # Errors
    ///
    /// [`NameError`] for a name that does not start with a letter, has an
    /// empty word, or characters other than ASCII letters, digits, `-` and
    /// `_`.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        Ok(Self {
            snake: words("migration", name)?.join("_"),
        })
    }
}

impl fmt::Display for MigrationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.snake)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_forms() {
        for given in ["user-profile", "user_profile", "userProfile", "UserProfile"] {
            let name = ServiceName::parse(given).expect("valid");
            assert_eq!(
                (
                    name.kebab.as_str(),
                    name.snake.as_str(),
                    name.pascal.as_str()
                ),
                ("user-profile", "user_profile", "UserProfile"),
                "{given}"
            );
        }
        let name = ServiceName::parse("v2item").expect("valid");
        assert_eq!(
            (name.snake.as_str(), name.pascal.as_str()),
            ("v2item", "V2item")
        );
    }

    #[test]
    fn bad_service_names() {
        for bad in ["", "1st", "a--b", "a-", "_a", "a b", "é", "type", "mod"] {
            let err = ServiceName::parse(bad).expect_err(bad);
            assert_eq!(err.what, "service");
        }
        assert_eq!(
            ServiceName::parse("a--b").expect_err("doubled").to_string(),
            "invalid service name `a--b`: it has an empty word (doubled or trailing `-` or `_`)"
        );
    }

    #[test]
    fn command_forms() {
        let name = CmdName::parse("publishPost").expect("valid");
        assert_eq!(
            (name.snake.as_str(), name.pascal.as_str()),
            ("publish_post", "PublishPost")
        );
        assert_eq!(CmdName::parse("publish").expect("valid").pascal, "Publish");
    }

    #[test]
    fn commands_named_like_crud_actions_or_modules_are_refused() {
        for bad in ["create", "crud", "ru", "entity", "security", "match"] {
            assert!(CmdName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CmdName::parse("read").expect_err("crud").to_string(),
            "invalid command name `read`: abilities read it as a CRUD action"
        );
    }

    #[test]
    fn migration_names() {
        for given in ["add_post_summary", "add-post-summary", "addPostSummary"] {
            let name = MigrationName::parse(given).expect("valid");
            assert_eq!(name.snake, "add_post_summary", "{given}");
        }
        for bad in ["", "1st", "a--b", "a b"] {
            assert_eq!(MigrationName::parse(bad).expect_err(bad).what, "migration");
        }
    }

    #[test]
    fn project_names() {
        let taken = vec!["serde".to_owned(), "sea-orm".to_owned()];
        let name = ProjectName::parse("my-app", &taken).expect("valid");
        assert_eq!(
            (name.package.as_str(), name.ident.as_str()),
            ("my-app", "my_app")
        );
        for bad in [
            "My", "1app", "a.b", "std", "test", "fn", "serde", "sea_orm", "",
        ] {
            assert!(ProjectName::parse(bad, &taken).is_err(), "{bad}");
        }
    }
}
