//! Authentication and authorization: who may act, as which company.
//!
//! Two ways in, one result:
//! - browsers get an opaque HttpOnly session cookie plus a CSRF token (revocable, stored
//!   hashed);
//! - API clients get a short-lived HS256 access token (JWT) and a rotating refresh token.
//!   Presenting a refresh token that was already rotated revokes its whole family.
//!
//! Either way `resolve` turns (company, user, token version) into an [`Actor`] by reading the
//! user, company, role and plan in one read transaction, so deactivation, demotion, password
//! change and logout take effect on the next request. The company is never taken from the
//! request.

use crate::tenancy::actor::{Actor, BranchScope};

pub mod limiter;
pub mod password;
pub mod store;

use std::path::Path;

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{BranchId, CompanyId, UserId};
use crate::storage::{Db, ReadTx, WriteTx};
use crate::tenancy::model::User;
use crate::tenancy::store as tstore;
use store::{
    BrowserSession, FAMILIES, INVITES, Invite, REFRESH, RefreshFamily, SECRETS, SESSIONS, Secret, USED, USED_KEEP_DAYS, UsedToken,
};

/// Token signing keys (HS256). The secret comes from config (`jwt_secret`) or from the key
/// file [`KEY_FILE`] beside the data file (`0600`, base64 of 32 random bytes, generated on
/// first start); it never appears in the repository, and never in the data file, so backups
/// carry no key. Data files from before kept the key in `SECRETS` under "jwt", and every
/// backup made then holds it: [`Keys::load_or_create`] deletes that row and starts a new key
/// (see [`retire_key_in_data_file`]). The key signs only the 15-minute access tokens —
/// browser sessions and refresh tokens are random tokens stored hashed in the data file — so
/// a new key (after that upgrade, or a backup restored on another box) costs API clients one
/// refresh and ends no session.
pub struct Keys {
    enc: jsonwebtoken::EncodingKey,
    dec: jsonwebtoken::DecodingKey,
}

/// Name of the token key file in the data directory.
pub const KEY_FILE: &str = "jwt.key";

impl Keys {
    pub fn load_or_create(db: &Db, key_file: &Path, configured: Option<&str>) -> Result<Keys> {
        retire_key_in_data_file(db)?;
        let invalid = |what: &str| Error::Internal(format!("{what} must be base64 of at least 32 bytes"));
        let secret = match configured {
            Some(b64) => decode_key(b64).ok_or_else(|| invalid("DUKAN_JWT_SECRET"))?,
            None if key_file.exists() => {
                let text = read_key_file(key_file).map_err(|e| Error::Internal(format!("{}: {e}", key_file.display())))?;
                decode_key(&text).ok_or_else(|| invalid(&key_file.display().to_string()))?
            }
            None => {
                let mut bytes = vec![0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                write_key_file(key_file, &bytes).map_err(|e| Error::Internal(format!("{}: {e}", key_file.display())))?;
                bytes
            }
        };
        Ok(Keys { enc: jsonwebtoken::EncodingKey::from_secret(&secret), dec: jsonwebtoken::DecodingKey::from_secret(&secret) })
    }
}

fn decode_key(b64: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok().filter(|s| s.len() >= 32)
}

fn read_key_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    // Opening through `private` tightens a key file someone made readable to others.
    crate::storage::private::open_file(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Writes the key file `0600` whole or not at all (a temporary file, fsynced, renamed).
fn write_key_file(path: &Path, key: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("key.tmp");
    let mut f = crate::storage::private::create_file(&tmp)?;
    writeln!(f, "{}", base64::engine::general_purpose::STANDARD.encode(key))?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Named upgrade step `jwt_key_out_of_data_file`: deletes the signing key an older data file
/// holds (`SECRETS` "jwt"). The key is not carried over to the key file on purpose: every
/// backup made with it holds it (and they were readable by other local users), so keeping it
/// would let anyone with an old backup forge access tokens forever. The price is one refresh
/// per API client (see [`Keys`]).
pub fn retire_key_in_data_file(db: &Db) -> Result<()> {
    if db.read()?.get(SECRETS, "jwt")?.is_none() {
        return Ok(());
    }
    db.write_blocking(|tx| tx.remove(SECRETS, "jwt").map(drop).map_err(Error::from))?;
    tracing::info!(step = "jwt_key_out_of_data_file", "retired the token signing key stored in the data file; a new key is in jwt.key");
    Ok(())
}

/// Stores `key` as the data file's signing key the way versions before the key file did.
/// For upgrade tests only.
#[doc(hidden)]
pub fn store_key_in_data_file(db: &Db, key: &[u8]) -> Result<()> {
    db.write_blocking(|tx| tx.insert(SECRETS, "jwt", &Secret { bytes: key.to_vec() }).map_err(Error::from))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: u64,
    pub cid: u64,
    pub tv: u32,
    pub fam: u64,
    pub iat: i64,
    pub exp: i64,
}

/// A fresh random token (base64url, 256 bits) and the hash under which it is stored.
pub fn random_token() -> (String, [u8; 32]) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_minutes: i64,
    pub refresh_days: i64,
    pub session_hours: i64,
}

fn sign(keys: &Keys, claims: &Claims) -> Result<String> {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &keys.enc)
        .map_err(|e| Error::Internal(format!("sign: {e}")))
}

/// Checks signature and expiry (against our clock, not the system's).
pub fn decode_access(keys: &Keys, token: &str, now: Ts) -> Result<Claims> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &keys.dec, &validation).map_err(|_| Error::TokenInvalid)?;
    if data.claims.exp * 1000 <= now.0 {
        return Err(Error::TokenInvalid);
    }
    Ok(data.claims)
}

/// Finds the active user with this login e-mail and its password hash (None if unknown).
pub fn lookup_login(tx: &ReadTx, email: &str) -> Result<Option<(CompanyId, User)>> {
    let Some(r) = tx.get(tstore::LOGINS, email)? else {
        return Ok(None);
    };
    Ok(tx.get(tstore::USERS, (r.company.0, r.user.0))?.map(|u| (r.company, u)))
}

/// A refresh token names whom it was issued for: `<company>.<user>.<random>`. Refresh
/// compares that with its family, so a token only ever yields tokens for the same user and
/// company (tokens issued before had no prefix; they are still accepted once and rotated).
fn bound_refresh_token(company: CompanyId, user: UserId) -> (String, [u8; 32]) {
    let (raw, _) = random_token();
    let token = format!("{}.{}.{raw}", company.0, user.0);
    let hash = hash_token(&token);
    (token, hash)
}

/// The company and user a refresh token names (`None` for an unprefixed older token).
fn refresh_token_owner(token: &str) -> Option<(CompanyId, UserId)> {
    let mut parts = token.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(u), Some(_)) => Some((CompanyId(c.parse().ok()?), UserId(u.parse().ok()?))),
        _ => None,
    }
}

/// Starts an API token family for a signed-in user.
pub fn issue_tokens(tx: &mut WriteTx, keys: &Keys, now: Ts, life: Lifetimes, company: CompanyId, user: &User) -> Result<TokenPair> {
    let family_id = tx.next_id()?;
    let (refresh, hash) = bound_refresh_token(company, user.id);
    let family = RefreshFamily {
        company,
        user: user.id,
        token_version: user.token_version,
        current: hash,
        created: now,
        expires: now.plus_days(life.refresh_days),
        revoked: false,
    };
    tx.insert(FAMILIES, family_id, &family)?;
    tx.insert(REFRESH, hash, &family_id)?;
    access_pair(keys, now, life, family_id, &family, refresh)
}

fn access_pair(keys: &Keys, now: Ts, life: Lifetimes, family_id: u64, family: &RefreshFamily, refresh: String) -> Result<TokenPair> {
    let exp = now.0 / 1000 + life.access_minutes * 60;
    let claims = Claims { sub: family.user.0, cid: family.company.0, tv: family.token_version, fam: family_id, iat: now.0 / 1000, exp };
    Ok(TokenPair { access_token: sign(keys, &claims)?, refresh_token: refresh, expires_in: life.access_minutes * 60 })
}

pub enum Refreshed {
    Rotated(TokenPair),
    /// An already-rotated token came back: it leaked. The family is now revoked (the caller
    /// commits that) and the request fails.
    ReuseDetected,
}

/// Rotates a refresh token. A token that was already rotated means it leaked: the whole
/// family is revoked and the caller must sign in again. The token must name the family's own
/// company and user, the user must still be active at the same token version, and the company
/// must exist and be active (or the user be the platform operator).
pub fn refresh(tx: &mut WriteTx, keys: &Keys, now: Ts, life: Lifetimes, token: &str) -> Result<Refreshed> {
    let hash = hash_token(token);
    let (family_id, current) = match tx.get(REFRESH, hash)? {
        Some(f) => (f, true),
        None => (tx.get(USED, hash)?.ok_or(Error::TokenInvalid)?.family, false),
    };
    let mut family = tx.get(FAMILIES, family_id)?.ok_or(Error::TokenInvalid)?;
    if family.revoked || family.expires <= now {
        return Err(Error::TokenInvalid);
    }
    if let Some(named) = refresh_token_owner(token)
        && named != (family.company, family.user)
    {
        return Err(Error::TokenInvalid);
    }
    if !current || family.current != hash {
        family.revoked = true;
        tx.insert(FAMILIES, family_id, &family)?;
        audit::record_system(
            tx,
            family.company,
            (Some(family.user), "refresh-token reuse"),
            "",
            now,
            "auth.token_reuse",
            format!("user:{}", family.user),
        )?;
        return Ok(Refreshed::ReuseDetected);
    }
    let user = tx.get(tstore::USERS, (family.company.0, family.user.0))?.ok_or(Error::TokenInvalid)?;
    if !user.active || user.token_version != family.token_version || user.id != family.user {
        return Err(Error::TokenInvalid);
    }
    let company = tx.get(tstore::COMPANIES, family.company.0)?.ok_or(Error::TokenInvalid)?;
    if !company.active && !user.platform_admin {
        return Err(Error::CompanyInactive);
    }
    let (next, next_hash) = bound_refresh_token(family.company, family.user);
    family.current = next_hash;
    tx.insert(FAMILIES, family_id, &family)?;
    tx.remove(REFRESH, hash)?;
    tx.insert(USED, hash, &UsedToken { family: family_id, used: now })?;
    tx.insert(REFRESH, next_hash, &family_id)?;
    access_pair(keys, now, life, family_id, &family, next).map(Refreshed::Rotated)
}

pub fn revoke_family(tx: &mut WriteTx, family_id: u64) -> Result<()> {
    if let Some(mut f) = tx.get(FAMILIES, family_id)? {
        f.revoked = true;
        tx.insert(FAMILIES, family_id, &f)?;
    }
    Ok(())
}

/// Whether an access token's family is still live and was issued to the token's own user
/// and company.
pub fn family_live(tx: &ReadTx, claims: &Claims, now: Ts) -> Result<bool> {
    Ok(tx.get(FAMILIES, claims.fam)?.is_some_and(|f| !f.revoked && f.expires > now && f.company.0 == claims.cid && f.user.0 == claims.sub))
}

/// Starts a browser session; returns the cookie value.
pub fn create_session(tx: &mut WriteTx, now: Ts, life: Lifetimes, company: CompanyId, user: &User, ip: &str) -> Result<String> {
    let (token, hash) = random_token();
    let (csrf, _) = random_token();
    let session = BrowserSession {
        company,
        user: user.id,
        token_version: user.token_version,
        csrf,
        created: now,
        expires: now.plus_ms(life.session_hours * 3_600_000),
        branch: None,
        company_scope: false,
        ip: ip.to_string(),
    };
    tx.insert(SESSIONS, hash, &session)?;
    Ok(token)
}

pub fn session(tx: &ReadTx, cookie: &str, now: Ts) -> Result<Option<BrowserSession>> {
    Ok(tx.get(SESSIONS, hash_token(cookie))?.filter(|s| s.expires > now))
}

pub fn end_session(tx: &mut WriteTx, cookie: &str) -> Result<()> {
    tx.remove(SESSIONS, hash_token(cookie))?;
    Ok(())
}

/// Remembers the branch (or the company-wide scope) the user picked in the switcher.
pub fn choose_branch(tx: &mut WriteTx, cookie: &str, branch: Option<BranchId>) -> Result<()> {
    let hash = hash_token(cookie);
    let mut s = tx.get(SESSIONS, hash)?.ok_or(Error::Unauthorized)?;
    s.company_scope = branch.is_none();
    s.branch = branch;
    tx.insert(SESSIONS, hash, &s)?;
    Ok(())
}

/// Slides a session's expiry forward (called at most every few minutes per session).
pub fn extend_session(tx: &mut WriteTx, cookie: &str, now: Ts, life: Lifetimes) -> Result<()> {
    let hash = hash_token(cookie);
    if let Some(mut s) = tx.get(SESSIONS, hash)? {
        s.expires = now.plus_ms(life.session_hours * 3_600_000);
        tx.insert(SESSIONS, hash, &s)?;
    }
    Ok(())
}

/// A one-time link for a user to set their password (valid 7 days). Only the link's holder
/// learns the password; the admin never sees one.
pub fn create_invite(tx: &mut WriteTx, company: CompanyId, user: UserId, now: Ts) -> Result<String> {
    let (token, hash) = random_token();
    tx.insert(INVITES, hash, &Invite { company, user, expires: now.plus_days(7) })?;
    Ok(token)
}

/// Ends every pending link of these users: a link made while a user had fewer rights must not
/// sign its holder in after the user gained more (or after deactivation).
pub fn drop_invites(tx: &mut WriteTx, company: CompanyId, users: &[UserId]) -> Result<()> {
    let mut dead = Vec::new();
    tx.range(INVITES, [0u8; 32], [255u8; 32], false, usize::MAX, |k, i| {
        if i.company == company && users.contains(&i.user) {
            dead.push(k);
        }
        Ok(true)
    })?;
    for k in dead {
        tx.remove(INVITES, k)?;
    }
    Ok(())
}

pub fn invite(tx: &ReadTx, token: &str, now: Ts) -> Result<Invite> {
    tx.get(INVITES, hash_token(token))?.filter(|i| i.expires > now).ok_or(Error::NotFound)
}

pub fn consume_invite(tx: &mut WriteTx, token: &str, now: Ts) -> Result<Invite> {
    let hash = hash_token(token);
    let inv = tx.get(INVITES, hash)?.filter(|i| i.expires > now).ok_or(Error::NotFound)?;
    tx.remove(INVITES, hash)?;
    Ok(inv)
}

/// Deletes expired sessions and invites, expired or revoked refresh families with their token
/// rows, and rotated refresh tokens older than `USED_KEEP_DAYS`.
pub fn sweep(tx: &mut WriteTx, now: Ts) -> Result<u64> {
    let mut removed = 0;
    let mut dead_sessions = Vec::new();
    tx.range(SESSIONS, [0u8; 32], [255u8; 32], false, usize::MAX, |k, s| {
        if s.expires <= now {
            dead_sessions.push(k);
        }
        Ok(true)
    })?;
    let mut dead_invites = Vec::new();
    tx.range(INVITES, [0u8; 32], [255u8; 32], false, usize::MAX, |k, i| {
        if i.expires <= now {
            dead_invites.push(k);
        }
        Ok(true)
    })?;
    let mut dead_families = Vec::new();
    let mut currents = Vec::new();
    tx.range(FAMILIES, 0, u64::MAX, false, usize::MAX, |k, f| {
        if f.expires <= now || f.revoked {
            dead_families.push(k);
        } else {
            currents.push(f.current);
        }
        Ok(true)
    })?;
    currents.sort_unstable();
    // Files written before rotated tokens moved to USED keep them in REFRESH: they move now.
    let mut dead_tokens = Vec::new();
    let mut moved = Vec::new();
    tx.range(REFRESH, [0u8; 32], [255u8; 32], false, usize::MAX, |k, fam| {
        if dead_families.binary_search(&fam).is_ok() {
            dead_tokens.push(k);
        } else if currents.binary_search(&k).is_err() {
            moved.push((k, fam));
        }
        Ok(true)
    })?;
    let keep_from = now.plus_days(-USED_KEEP_DAYS);
    let mut dead_used = Vec::new();
    tx.range(USED, [0u8; 32], [255u8; 32], false, usize::MAX, |k, u| {
        if u.used <= keep_from || dead_families.binary_search(&u.family).is_ok() {
            dead_used.push(k);
        }
        Ok(true)
    })?;
    for k in dead_sessions {
        removed += tx.remove(SESSIONS, k)? as u64;
    }
    for k in dead_invites {
        removed += tx.remove(INVITES, k)? as u64;
    }
    for k in dead_tokens {
        removed += tx.remove(REFRESH, k)? as u64;
    }
    for (k, family) in moved {
        tx.remove(REFRESH, k)?;
        tx.insert(USED, k, &UsedToken { family, used: now })?;
    }
    for k in dead_used {
        removed += tx.remove(USED, k)? as u64;
    }
    for k in dead_families {
        removed += tx.remove(FAMILIES, k)? as u64;
    }
    Ok(removed)
}

/// What a request presented, after its signature or cookie was checked.
pub struct Presented {
    pub company: CompanyId,
    pub user: UserId,
    pub token_version: u32,
    /// The branch the session chose, or the API client's `X-Dukan-Branch` header.
    pub branch: Option<BranchId>,
    /// True when the branch was asked for in this request (a header): refused if not allowed.
    /// A session's remembered choice that became invalid falls back to the primary branch.
    pub branch_strict: bool,
    pub company_scope: bool,
    pub ip: String,
}

/// Builds the acting user's rights from what is stored now.
/// The actor for work a user started earlier and the server finishes later (a confirmed
/// import), or for the local `dukan` CLI, which runs as the box's OS user: the user's rights
/// as they are *now*, company-wide. Never reachable from a request.
pub fn actor_for_user(tx: &ReadTx, company: CompanyId, user: UserId, now: Ts, via: &str) -> Result<Actor> {
    let u = tx.get(tstore::USERS, (company.0, user.0))?.ok_or(Error::TokenInvalid)?;
    let presented = Presented {
        company,
        user,
        token_version: u.token_version,
        branch: None,
        branch_strict: false,
        company_scope: true,
        ip: via.to_string(),
    };
    resolve(tx, &presented, now)
}

pub fn resolve(tx: &ReadTx, p: &Presented, now: Ts) -> Result<Actor> {
    let user = tx.get(tstore::USERS, (p.company.0, p.user.0))?.ok_or(Error::TokenInvalid)?;
    if !user.active || user.token_version != p.token_version {
        return Err(Error::TokenInvalid);
    }
    let company = tstore::company(tx, p.company)?.ok_or(Error::TokenInvalid)?;
    if !company.active && !user.platform_admin {
        return Err(Error::CompanyInactive);
    }
    let perms = match user.custom_role {
        Some(r) => tx.get(tstore::ROLES, (p.company.0, r.0))?.map(|r| r.perms).unwrap_or_default(),
        None => Default::default(),
    };
    let owner_like = matches!(user.role, crate::tenancy::model::SystemRole::Owner | crate::tenancy::model::SystemRole::Admin);
    let active_branch = |b: BranchId| -> Result<bool> { Ok(tx.get(tstore::BRANCHES, (p.company.0, b.0))?.is_some_and(|b| b.active)) };
    let branch = match p.branch {
        Some(b) if (user.branches.contains(&b) || owner_like) && active_branch(b)? => BranchScope::Branch(b),
        Some(_) if p.branch_strict => return Err(Error::Forbidden { permission: "branch" }),
        None if p.company_scope && owner_like => BranchScope::Company,
        _ => {
            let mut pick = BranchScope::Company;
            for b in user.primary_branch.iter().chain(user.branches.iter()) {
                if active_branch(*b)? {
                    pick = BranchScope::Branch(*b);
                    break;
                }
            }
            pick
        }
    };
    let plan_id = match branch {
        BranchScope::Branch(b) => tx.get(tstore::BRANCHES, (p.company.0, b.0))?.and_then(|b| b.plan).unwrap_or(company.plan),
        BranchScope::Company => company.plan,
    };
    let features = tx.get(tstore::PLANS, plan_id.0)?.map(|p| p.features).unwrap_or_default();
    let access = company.access(now);
    Ok(Actor {
        company: p.company,
        user: user.id,
        user_name: user.name.clone(),
        role: user.role,
        perms,
        branch,
        ip: p.ip.clone(),
        lang: user.lang,
        platform_admin: user.platform_admin,
        access,
        features,
    })
}
