//! Wire shapes of the API (DTOs). Domain types do not derive wire traits; these do, and
//! convert from them. Inputs deny unknown fields so a typo is an error, not silence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Branch, Company, Plan, Role, User};

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: u64,
    pub email: String,
    pub name: String,
    pub phone: String,
    /// owner, admin or staff
    pub role: String,
    pub custom_role: Option<u64>,
    pub branches: Vec<u64>,
    pub primary_branch: Option<u64>,
    pub active: bool,
    pub lang: String,
    pub platform_admin: bool,
    pub created: String,
    pub last_login: Option<String>,
    /// False for an invited user who has not set a password yet.
    pub has_password: bool,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.0,
            email: u.email.clone(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            role: u.role.code().to_string(),
            custom_role: u.custom_role.map(|r| r.0),
            branches: u.branches.iter().map(|b| b.0).collect(),
            primary_branch: u.primary_branch.map(|b| b.0),
            active: u.active,
            lang: u.lang.code().to_string(),
            platform_admin: u.platform_admin,
            created: u.created.rfc3339(),
            last_login: u.last_login.map(|t| t.rfc3339()),
            has_password: u.password.is_some(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LegalDto {
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub okpo: String,
    #[serde(default)]
    pub bank_name: String,
    #[serde(default)]
    pub bank_account: String,
    #[serde(default)]
    pub bik: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyDto {
    pub id: u64,
    pub name: String,
    /// KG or RU
    pub country: String,
    /// KGS or RUB
    pub currency: String,
    pub timezone: String,
    pub plan: u64,
    pub legal: LegalDto,
    pub phones: Vec<String>,
    pub subscription_end: Option<String>,
    pub grace_days: u32,
    pub active: bool,
    pub has_logo: bool,
}

impl From<&Company> for CompanyDto {
    fn from(c: &Company) -> Self {
        CompanyDto {
            id: c.id.0,
            name: c.name.clone(),
            country: c.country.code().to_string(),
            currency: c.country.currency().code().to_string(),
            timezone: c.timezone.clone(),
            plan: c.plan.0,
            legal: LegalDto {
                inn: c.legal.inn.clone(),
                okpo: c.legal.okpo.clone(),
                bank_name: c.legal.bank_name.clone(),
                bank_account: c.legal.bank_account.clone(),
                bik: c.legal.bik.clone(),
                address: c.legal.address.clone(),
            },
            phones: c.phones.clone(),
            subscription_end: c.subscription_end.map(|t| t.rfc3339()),
            grace_days: c.grace_days,
            active: c.active,
            has_logo: c.logo.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BranchDto {
    pub id: u64,
    pub name: String,
    pub code: String,
    pub address: String,
    pub phone: String,
    pub timezone: String,
    pub active: bool,
    pub plan: Option<u64>,
}

impl From<&Branch> for BranchDto {
    fn from(b: &Branch) -> Self {
        BranchDto {
            id: b.id.0,
            name: b.name.clone(),
            code: b.code.clone(),
            address: b.address.clone(),
            phone: b.phone.clone(),
            timezone: b.timezone.clone(),
            active: b.active,
            plan: b.plan.map(|p| p.0),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleDto {
    pub id: u64,
    pub name: String,
    pub permissions: Vec<String>,
    pub preset: Option<String>,
}

impl From<&Role> for RoleDto {
    fn from(r: &Role) -> Self {
        RoleDto {
            id: r.id.0,
            name: r.name.clone(),
            permissions: r.perms.codes().into_iter().map(String::from).collect(),
            preset: r.preset.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanDto {
    pub id: u64,
    pub name: String,
    /// Decimal as a string, in the box's accounting currency.
    pub monthly_price: String,
    pub features: Vec<String>,
}

impl From<&Plan> for PlanDto {
    fn from(p: &Plan) -> Self {
        PlanDto { id: p.id.0, name: p.name.clone(), monthly_price: p.monthly_price.to_string(), features: p.features.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    pub company: CompanyDto,
    /// Branches the user belongs to (owners and admins: all active branches).
    pub branches: Vec<BranchDto>,
    /// The branch requests act in; null = company-wide.
    pub active_branch: Option<u64>,
    pub permissions: Vec<String>,
    pub features: Vec<String>,
    /// full, grace or read_only
    pub access: String,
}

pub fn scope_id(actor: &Actor) -> Option<u64> {
    match actor.branch {
        BranchScope::Branch(b) => Some(b.0),
        BranchScope::Company => None,
    }
}
