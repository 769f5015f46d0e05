//! Notification rule tables: the rules, the log of every firing (which is also what makes a
//! firing happen once per rule, subject and day), the read position in event feeds, and
//! each user's notification preferences.

use super::shift::ShiftShort;
use super::{Fired, Prefs, Rule};
use crate::storage::{Table, TableInfo};

/// (company, rule id) → the rule.
pub const RULES: Table<(u64, u64), Rule> = Table::new("company_ruleid_rule");
/// (company, rule, local day YYYYMMDD, subject id) → what was done: the rule log and its
/// once-per-day guard. Rule id 0 is the built-in "shift closed short" rule (subject: the shift).
pub const FIRED: Table<(u64, u64, u32, u64), Fired> = Table::new("company_rule_day_subject_fired");
/// (company, event source) → the last event id a rule run has read from that feed.
pub const MARKS: Table<(u64, &'static str), u64> = Table::new("company_source_lasteventid");
/// (company, user) → the user's notification preferences.
pub const PREFS: Table<(u64, u64), Prefs> = Table::new("company_user_notifyprefs");
/// company → the built-in "shift closed short" rule's threshold and switch (absent: on, any shortage).
pub const SHIFT_SHORT: Table<u64, ShiftShort> = Table::new("company_shiftshort");

pub fn tables() -> Vec<TableInfo> {
    vec![
        RULES.info("(CompanyId, RuleId)", "notification rules: event, conditions, action"),
        FIRED.info(
            "(CompanyId, RuleId, local day YYYYMMDD, subject id)",
            "each rule firing and its outcome (once per rule, subject and day)",
        ),
        MARKS.info("(CompanyId, event source)", "the last event id notification rules read from a feed (telecom events)"),
        PREFS.info("(CompanyId, UserId)", "a user's notification preferences per event and channel"),
        SHIFT_SHORT.info("CompanyId", "the \"shift closed short\" notification: threshold and on/off"),
    ]
}
