//! Notification rule tables: the rules, the log of every firing (which is also what makes a
//! firing happen once per rule, subject and day), the read position in event feeds, each
//! user's notification preferences, and the company's WhatsApp template for staff.

use super::shift::ShiftShort;
use super::whatsapp::{StaffWhatsApp, WaPrefs};
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
/// company → the WhatsApp channel and template staff notifications go out with (absent: none).
pub const STAFF_WA: Table<u64, StaffWhatsApp> = Table::new("company_staffwhatsapp");
/// (company, user) → the events the user wants by WhatsApp template (absent: none); beside
/// `PREFS`, whose stored layout stays as it was.
pub const WA_PREFS: Table<(u64, u64), WaPrefs> = Table::new("company_user_notifywhatsapp");

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
        STAFF_WA.info("CompanyId", "the WhatsApp channel and approved template for staff notifications"),
        WA_PREFS.info("(CompanyId, UserId)", "the events a user wants by WhatsApp template"),
    ]
}
