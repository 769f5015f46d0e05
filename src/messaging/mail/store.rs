//! Mail tables: a company's own SMTP settings (the password sealed with the box key) and every
//! e-mail queued, with its delivery state, keyed by company then id (ids ascend with time, so
//! the delivery log is a reverse range).

use super::{Mail, MailSettings};
use crate::storage::{Table, TableInfo};

/// company → its own SMTP server (overrides the box-wide `[smtp]` while active).
pub const MAIL_SETTINGS: Table<u64, MailSettings> = Table::new("company_mailsettings");
/// (company, mail id) → the e-mail and its delivery state (the delivery log).
pub const MAILS: Table<(u64, u64), Mail> = Table::new("company_mailid_mail");
/// 0 (the box) → 1 while the box-wide `[smtp]` server is configured: written when the server
/// starts (`note_box_server`), so code that has a transaction and no configuration (pos's
/// shift-close hook) knows whether an e-mail would go anywhere.
pub const BOX_SMTP: Table<u64, u64> = Table::new("box_smtpconfigured");

pub fn tables() -> Vec<TableInfo> {
    vec![
        MAIL_SETTINGS.info("CompanyId", "a company's own SMTP server; the password sealed with the box key"),
        MAILS.info("(CompanyId, MailId)", "e-mails queued or sent, with attempts and the last error (the delivery log)"),
        BOX_SMTP.info("0 (the box)", "1 while the box-wide SMTP server is configured, written at start (box level)"),
    ]
}
