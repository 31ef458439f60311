//! The rules of one action, compiled for decisions: in declaration order,
//! with an index of the text equalities their conditions demand.
//!
//! A decision looks for the last rule that applies. Scanning every rule from
//! the last one costs a condition evaluation per rule, which is slow when a
//! role declares hundreds of rules for one action (one per category, per
//! workflow state, ...). Most such conditions demand that a field hold one
//! text (`eq("category", "news")`, `in_("status", ["draft", "review"])`) or
//! the caller's user id (`eq("owner", user_id())`). The index files each rule
//! under one such demand, read from its condition (the condition itself, or
//! one conjunct of an `and`); a decision then reads that field of the
//! subject once and tries only the rules filed under its value, with the
//! rules that demand nothing of the kind. A rule that applies always has a
//! condition that is `True`, so its demand holds and it is among the rules
//! tried: the rule found is the one a full scan finds.
//!
//! A request checks several fields on one subject (the fields a PATCH
//! writes, say); the subject's demanded fields are read once for all of them
//! ([`RuleList::candidates`]).

use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::FastMap;
use super::ability::{Effect, Rule};
use super::condition::{Caller, Condition, Operand, Truth, lookup};

/// A rule ready for decisions.
#[derive(Debug, Clone)]
struct CompiledRule {
    allow: bool,
    fields: Option<Box<[String]>>,
    condition: Option<Condition>,
}

impl CompiledRule {
    fn covers(&self, field: Field<'_>) -> bool {
        match (&self.fields, field) {
            (None, Field::Explicit(_)) => !self.allow,
            (None, _) => true,
            (Some(_), Field::All) => false,
            (Some(list), Field::Named(name) | Field::Explicit(name)) => {
                list.iter().any(|f| f == name)
            }
        }
    }

    /// Whether the rule applies to `field` of `subject`: a `can` when its
    /// condition is `True`, a `cannot` when it is `True` or `Unknown` (a
    /// field the subject leaves out, a guest's user id). A `cannot` fails
    /// closed: what a rule cannot tell about is refused, so adding a
    /// `cannot` never allows more.
    fn applies(&self, field: Field<'_>, subject: &Map<String, Value>, caller: &Caller<'_>) -> bool {
        self.covers(field)
            && self.condition.as_ref().is_none_or(|c| {
                let truth = c.evaluate(subject, caller);
                if self.allow {
                    truth.is_true()
                } else {
                    truth != Truth::False
                }
            })
    }
}

/// A field being checked: a real one, or the pseudo-field `all`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Field<'a> {
    /// The pseudo-field `all`: no data, or an option without values.
    All,
    /// A field of the data (or an option's value).
    Named(&'a str),
    /// A field of the data that only a rule naming it allows (`x-explicit`):
    /// a `can` without a field list does not cover it, a `cannot` does.
    Explicit(&'a str),
}

/// The rules of one action (a verb, a command or an option) of one role in
/// one service.
#[derive(Debug, Clone, Default)]
pub(super) struct RuleList {
    /// Declaration order: the last that applies decides.
    rules: Vec<CompiledRule>,
    /// Positions of the rules filed under no demand, ascending.
    open: Vec<usize>,
    /// The demands, by field path.
    paths: Vec<PathIndex>,
}

/// The rules that demand something of one field.
#[derive(Debug, Clone, Default)]
struct PathIndex {
    path: Box<str>,
    /// Rules that need the field to hold this text (`eq` with a text, or
    /// `in_` of texts), positions ascending.
    by_text: FastMap<Box<str>, Vec<usize>>,
    /// Rules that need the field to hold the caller's user id.
    by_user: Vec<usize>,
    /// The `in_` rules among `by_text`, which an array of texts may also
    /// satisfy.
    by_array: Vec<usize>,
}

/// What a condition demands of one field for it to be `True`.
enum Demand<'a> {
    /// One of these texts (`eq`: one; `in_`: the list, or an array of them).
    Texts {
        path: &'a str,
        texts: Vec<&'a str>,
        array_too: bool,
    },
    /// The caller's user id.
    User { path: &'a str },
}

impl Demand<'_> {
    fn path(&self) -> &str {
        match self {
            Demand::Texts { path, .. } | Demand::User { path } => path,
        }
    }
}

/// The paths `condition` pins with an `eq`: itself, or the conjuncts of an
/// `and`, recursively.
fn pinned_paths(condition: &Condition) -> Vec<&str> {
    match condition {
        Condition::Eq(path, _) => vec![path.as_str()],
        Condition::And(items) => items.iter().flat_map(pinned_paths).collect(),
        _ => Vec::new(),
    }
}

/// The most selective demand `condition` makes: a text, else a list of
/// texts, else the user id; `None` when it makes none of these.
fn demand(condition: &Condition) -> Option<Demand<'_>> {
    let mut found: Option<Demand<'_>> = None;
    collect_demand(condition, &mut found);
    found
}

fn rank(demand: &Demand<'_>) -> u8 {
    match demand {
        Demand::Texts {
            array_too: false, ..
        } => 3,
        Demand::Texts { .. } => 2,
        Demand::User { .. } => 1,
    }
}

fn collect_demand<'a>(condition: &'a Condition, found: &mut Option<Demand<'a>>) {
    let candidate = match condition {
        // Every conjunct of a `True` conjunction is `True`.
        Condition::And(items) => {
            for item in items {
                collect_demand(item, found);
            }
            return;
        }
        // `True` only for a string equal to the text (or the user id).
        Condition::Eq(path, Operand::Value(Value::String(text))) => Demand::Texts {
            path,
            texts: vec![text],
            array_too: false,
        },
        Condition::Eq(path, Operand::UserId) => Demand::User { path },
        // `True` only for a string in the list, or an array.
        Condition::In(path, list) if !list.is_empty() => {
            let mut texts = Vec::with_capacity(list.len());
            for operand in list {
                match operand {
                    Operand::Value(Value::String(text)) => {
                        if !texts.contains(&text.as_str()) {
                            texts.push(text.as_str());
                        }
                    }
                    _ => return,
                }
            }
            Demand::Texts {
                path,
                texts,
                array_too: true,
            }
        }
        _ => return,
    };
    if found.as_ref().is_none_or(|f| rank(f) < rank(&candidate)) {
        *found = Some(candidate);
    }
}

impl RuleList {
    /// The fields every `can` rule pins to one value with an `eq` (its
    /// condition, or a conjunct of its `and`). A subject that passes such a
    /// rule holds the value the rule names, so a query filtering on the field
    /// tells the caller nothing the rule does not. Empty when there is no
    /// `can`, or one pins nothing.
    pub(super) fn pinned_fields(&self) -> Box<[String]> {
        let mut cans = self.rules.iter().filter(|rule| rule.allow);
        let Some(first) = cans.next() else {
            return Box::default();
        };
        let mut pinned = first
            .condition
            .as_ref()
            .map(pinned_paths)
            .unwrap_or_default();
        for rule in cans {
            let paths = rule
                .condition
                .as_ref()
                .map(pinned_paths)
                .unwrap_or_default();
            pinned.retain(|path| paths.contains(path));
        }
        pinned.into_iter().map(str::to_owned).collect()
    }

    /// Appends a rule (its index is built by [`RuleList::finish`]); its
    /// constants compared with the `date_times` fields are brought to the
    /// canonical form requests are.
    pub(super) fn push(&mut self, rule: &Rule, date_times: &[String]) {
        let mut condition = rule.condition.clone();
        if let Some(condition) = condition.as_mut().filter(|_| !date_times.is_empty()) {
            condition.canonicalise_date_times(date_times);
        }
        self.rules.push(CompiledRule {
            allow: rule.effect == Effect::Can,
            fields: rule.fields.clone().map(Vec::into_boxed_slice),
            condition,
        });
    }

    /// Builds the index, once every rule is pushed.
    pub(super) fn finish(&mut self) {
        self.open.clear();
        self.paths.clear();
        for (position, rule) in self.rules.iter().enumerate() {
            // A `cannot` also applies where its demand is unknown (the field
            // left out): it is never filed under a value.
            let demand = rule
                .condition
                .as_ref()
                .filter(|_| rule.allow)
                .and_then(demand);
            let Some(demand) = demand else {
                self.open.push(position);
                continue;
            };
            let index = match self.paths.iter().position(|p| *p.path == *demand.path()) {
                Some(index) => index,
                None => {
                    self.paths.push(PathIndex {
                        path: demand.path().into(),
                        ..PathIndex::default()
                    });
                    self.paths.len() - 1
                }
            };
            let entry = &mut self.paths[index];
            match demand {
                Demand::Texts {
                    texts, array_too, ..
                } => {
                    for text in texts {
                        entry.by_text.entry(text.into()).or_default().push(position);
                    }
                    if array_too {
                        entry.by_array.push(position);
                    }
                }
                Demand::User { .. } => entry.by_user.push(position),
            }
        }
    }

    /// The rules that may apply to `subject`: those filed under no demand,
    /// and those filed under a value `subject` holds.
    pub(super) fn candidates<'l>(
        &'l self,
        subject: &'l Map<String, Value>,
        caller: &'l Caller<'l>,
    ) -> Candidates<'l> {
        let mut groups = SmallVec::new();
        if !self.open.is_empty() {
            groups.push(self.open.as_slice());
        }
        for index in &self.paths {
            match lookup(subject, &index.path) {
                Some(Value::String(text)) => {
                    if let Some(positions) = index.by_text.get(text.as_str()) {
                        groups.push(positions.as_slice());
                    }
                    if caller.user_id == Some(text.as_str()) && !index.by_user.is_empty() {
                        groups.push(index.by_user.as_slice());
                    }
                }
                Some(Value::Array(_)) if !index.by_array.is_empty() => {
                    groups.push(index.by_array.as_slice());
                }
                // No `eq` with a text nor `in_` holds on anything else.
                _ => {}
            }
        }
        Candidates {
            list: self,
            groups,
            subject,
            caller,
        }
    }
}

/// The rules of one [`RuleList`] that may apply to one subject, found once
/// for every field checked on it.
pub(super) struct Candidates<'l> {
    list: &'l RuleList,
    /// Lists of positions, each ascending.
    groups: SmallVec<[&'l [usize]; 4]>,
    subject: &'l Map<String, Value>,
    caller: &'l Caller<'l>,
}

impl Candidates<'_> {
    /// Whether the relevant rule (the last that applies) allows `field`;
    /// no rule that applies means no.
    pub(super) fn allows(&self, field: Field<'_>) -> bool {
        let mut best = None;
        for positions in &self.groups {
            self.last_applying(positions, &mut best, field);
        }
        best.is_some_and(|position: usize| self.list.rules[position].allow)
    }

    /// Raises `best` to the last rule of `positions` (ascending) that applies
    /// and comes after `best`.
    fn last_applying(&self, positions: &[usize], best: &mut Option<usize>, field: Field<'_>) {
        for &position in positions.iter().rev() {
            if best.is_some_and(|b| position <= b) {
                return;
            }
            if self.list.rules[position].applies(field, self.subject, self.caller) {
                *best = Some(position);
                return;
            }
        }
    }
}
