//! Auth tables: browser sessions, refresh-token families, invite links and generated secrets.
//! Tokens are stored only as SHA-256 hashes; the raw token exists only in the client.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{BranchId, CompanyId, UserId};
use crate::storage::{Record, Table, TableInfo};

pub const SESSIONS: Table<[u8; 32], BrowserSession> = Table::new("tokenhash_session");
pub const FAMILIES: Table<u64, RefreshFamily> = Table::new("familyid_family");
pub const REFRESH: Table<[u8; 32], u64> = Table::new("tokenhash_familyid");
pub const USED: Table<[u8; 32], UsedToken> = Table::new("tokenhash_usedtoken");
pub const INVITES: Table<[u8; 32], Invite> = Table::new("tokenhash_invite");
pub const SECRETS: Table<&'static str, Secret> = Table::new("name_secret");

pub fn tables() -> Vec<TableInfo> {
    vec![
        SESSIONS.info("[u8; 32] sha256(cookie)", "browser sessions (HttpOnly cookie + CSRF token)"),
        FAMILIES.info("u64 family id", "refresh-token families: the current token hash; reuse of an old one revokes the family"),
        REFRESH.info("[u8; 32] sha256(refresh token)", "each family's current refresh token → its family"),
        USED.info(
            "[u8; 32] sha256(refresh token)",
            "rotated refresh tokens → family and when rotated (reuse detection); swept after USED_KEEP_DAYS",
        ),
        INVITES.info("[u8; 32] sha256(invite token)", "one-time links for invited users to set their password"),
        SECRETS.info("&str name", "secrets generated on first start (the token signing key)"),
    ]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrowserSession {
    pub company: CompanyId,
    pub user: UserId,
    pub token_version: u32,
    /// Sent back by every state-changing request (header or form field).
    pub csrf: String,
    pub created: Ts,
    pub expires: Ts,
    pub branch: Option<BranchId>,
    /// True when the user chose the company-wide scope instead of a branch.
    pub company_scope: bool,
    pub ip: String,
}

impl Record for BrowserSession {
    const TYPE: &'static str = "session.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshFamily {
    pub company: CompanyId,
    pub user: UserId,
    pub token_version: u32,
    pub current: [u8; 32],
    pub created: Ts,
    pub expires: Ts,
    pub revoked: bool,
}

impl Record for RefreshFamily {
    const TYPE: &'static str = "refresh_family.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub company: CompanyId,
    pub user: UserId,
    pub expires: Ts,
}

impl Record for Invite {
    const TYPE: &'static str = "invite.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub bytes: Vec<u8>,
}

impl Record for Secret {
    const TYPE: &'static str = "secret.v1";
}

/// A refresh token that was rotated: presenting it again revokes its family. Kept for
/// `USED_KEEP_DAYS`, then swept (a later replay is simply refused).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsedToken {
    pub family: u64,
    pub used: Ts,
}

impl Record for UsedToken {
    const TYPE: &'static str = "used_token.v1";
}

pub const USED_KEEP_DAYS: i64 = 7;
