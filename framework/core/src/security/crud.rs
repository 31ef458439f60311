//! [`Crud`]: a set of CRUD verbs, the typed spelling of eicrud's action
//! strings (`"crud"`, `"cru"`, `"read"`, ...).

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use crate::context::Verb;

/// A non-empty set of CRUD verbs, for [`RoleRights::can`](super::RoleRights::can)
/// and [`RoleRights::cannot`](super::RoleRights::cannot).
///
/// The typed spelling of eicrud's action strings, which keep working:
/// `Crud::ALL` is `"crud"`, `Crud::CREATE | Crud::READ` is `"cr"`,
/// `Crud::READ` is `"read"` (or `"GET"`). Sets are combined with `|`; there
/// is no empty set.
///
/// # Examples
///
/// ```
/// use ferrocrud::context::Verb;
/// use ferrocrud::security::Crud;
///
/// let cru = Crud::CREATE | Crud::READ | Crud::UPDATE;
/// assert_eq!(Crud::parse("cru"), Some(cru));
/// assert_eq!(cru.to_string(), "cru");
/// assert!(cru.has(Verb::Patch) && !cru.has(Verb::Delete));
/// assert_eq!(Crud::parse("read"), Some(Crud::READ));
/// assert_eq!(Crud::parse("reed"), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Crud(u8);

impl Crud {
    /// Create (`POST`).
    pub const CREATE: Crud = Crud(1);
    /// Read (`GET`).
    pub const READ: Crud = Crud(2);
    /// Update (`PATCH`).
    pub const UPDATE: Crud = Crud(4);
    /// Delete (`DELETE`).
    pub const DELETE: Crud = Crud(8);
    /// Every verb: eicrud's `"crud"`.
    pub const ALL: Crud = Crud(15);

    /// The verbs in eicrud's order, with their letters.
    const LETTERS: [(Crud, Verb, char); 4] = [
        (Crud::CREATE, Verb::Post, 'c'),
        (Crud::READ, Verb::Get, 'r'),
        (Crud::UPDATE, Verb::Patch, 'u'),
        (Crud::DELETE, Verb::Delete, 'd'),
    ];

    /// The set an action string names, or `None` when it names no CRUD
    /// verbs (it is then a command name): `create`/`read`/`update`/`delete`,
    /// the methods `POST`/`GET`/`PATCH`/`DELETE`, and eicrud's letter
    /// combinations (`crud`, `cru`, `crd`, `cud`, `rud`, `cr`, `cu`, `cd`,
    /// `ru`, `rd`, `ud`), letters in that order.
    pub fn parse(action: &str) -> Option<Crud> {
        let single = match action {
            "create" | "POST" => Some(Crud::CREATE),
            "read" | "GET" => Some(Crud::READ),
            "update" | "PATCH" => Some(Crud::UPDATE),
            "delete" | "DELETE" => Some(Crud::DELETE),
            _ => None,
        };
        if single.is_some() {
            return single;
        }
        if action.len() < 2 {
            return None;
        }
        // Letters in "crud" order, each at most once.
        let mut set = 0;
        let mut rest = action;
        for (verb, _, letter) in Self::LETTERS {
            if let Some(after) = rest.strip_prefix(letter) {
                set |= verb.0;
                rest = after;
            }
        }
        rest.is_empty().then_some(Crud(set))
    }

    /// Whether the set holds `verb`.
    pub fn has(self, verb: Verb) -> bool {
        self.contains(Crud::from(verb))
    }

    /// Whether the set holds every verb of `other`.
    pub fn contains(self, other: Crud) -> bool {
        self.0 & other.0 == other.0
    }

    /// The verbs of the set, in eicrud's order (create, read, update, delete).
    pub fn verbs(self) -> impl Iterator<Item = Verb> {
        Self::LETTERS
            .into_iter()
            .filter(move |(set, _, _)| self.contains(*set))
            .map(|(_, verb, _)| verb)
    }
}

impl From<Verb> for Crud {
    fn from(verb: Verb) -> Self {
        match verb {
            Verb::Post => Crud::CREATE,
            Verb::Get => Crud::READ,
            Verb::Patch => Crud::UPDATE,
            Verb::Delete => Crud::DELETE,
        }
    }
}

impl BitOr for Crud {
    type Output = Crud;

    fn bitor(self, other: Crud) -> Crud {
        Crud(self.0 | other.0)
    }
}

impl BitOrAssign for Crud {
    fn bitor_assign(&mut self, other: Crud) {
        self.0 |= other.0;
    }
}

/// The action string eicrud would write: `create`, `read`, `update` or
/// `delete` for one verb, the letters (`cru`, `crud`) for several.
impl fmt::Display for Crud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Crud::CREATE => f.write_str("create"),
            Crud::READ => f.write_str("read"),
            Crud::UPDATE => f.write_str("update"),
            Crud::DELETE => f.write_str("delete"),
            set => {
                for (verb, _, letter) in Self::LETTERS {
                    if set.contains(verb) {
                        fmt::Write::write_char(f, letter)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Crud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crud({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every set with its letters: the 15 non-empty subsets of "crud".
    fn every_set() -> Vec<Crud> {
        (1..16).map(Crud).collect()
    }

    #[test]
    fn verb_sets_equal_their_strings() {
        use Verb::{Delete as D, Get as G, Patch as P, Post as C};
        let verbs = |s: &str| Crud::parse(s).map(|set| set.verbs().collect::<Vec<_>>());
        assert_eq!(verbs("create"), Some(vec![C]));
        assert_eq!(verbs("GET"), Some(vec![G]));
        assert_eq!(verbs("update"), Some(vec![P]));
        assert_eq!(verbs("DELETE"), Some(vec![D]));
        assert_eq!(verbs("crud"), Some(vec![C, G, P, D]));
        assert_eq!(verbs("rud"), Some(vec![G, P, D]));
        assert_eq!(verbs("cd"), Some(vec![C, D]));
        assert_eq!(verbs("ud"), Some(vec![P, D]));
        assert_eq!(Crud::parse("crud"), Some(Crud::ALL));
        assert_eq!(
            Crud::parse("crud"),
            Some(Crud::CREATE | Crud::READ | Crud::UPDATE | Crud::DELETE)
        );
        assert_eq!(
            Crud::parse("cru"),
            Some(Crud::CREATE | Crud::READ | Crud::UPDATE)
        );
        assert_eq!(Crud::parse("rd"), Some(Crud::DELETE | Crud::READ));
        assert_eq!(Crud::parse("read"), Some(Crud::READ));
        assert_eq!(Crud::parse("POST"), Some(Crud::CREATE));
    }

    #[test]
    fn every_set_reads_back_from_its_string() {
        for set in every_set() {
            assert_eq!(Crud::parse(&set.to_string()), Some(set), "{set:?}");
        }
        assert_eq!(Crud::ALL.to_string(), "crud");
        assert_eq!((Crud::READ | Crud::UPDATE).to_string(), "ru");
        assert_eq!(format!("{:?}", Crud::CREATE), "Crud(create)");
    }

    #[test]
    fn other_strings_name_no_verbs() {
        for action in [
            "", "c", "r", "cdur", "rc", "crudd", "ccrud", "reed", "get", "Read", "manage", "login",
            "crud ", "CRUD",
        ] {
            assert_eq!(Crud::parse(action), None, "{action:?}");
        }
    }

    #[test]
    fn sets_combine() {
        let mut set = Crud::READ;
        set |= Crud::DELETE;
        assert!(set.has(Verb::Get) && set.has(Verb::Delete) && !set.has(Verb::Post));
        assert!(Crud::ALL.contains(set) && !set.contains(Crud::ALL));
        assert_eq!(Crud::from(Verb::Patch), Crud::UPDATE);
    }
}
