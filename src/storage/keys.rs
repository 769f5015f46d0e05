//! Typed table keys: the id newtypes of `crate::ids` as redb keys, stored exactly as the `u64`
//! they wrap.
//!
//! Every id encodes as its `u64` (8 little-endian bytes), sorts as that `u64`, and — the part
//! that keeps old files readable — answers redb's `type_name()` with `u64`'s own name. redb
//! records a table's key type name when the table is created and refuses to open it under
//! another name, so a table written as `(u64, u64)` opens as `(CompanyId, ProductId)` and back:
//! typing a key is a change of the Rust signature only, never of the data file.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ids::LabelScaleId;
use crate::ids::MergeId;
use crate::ids::ReviewId;
use crate::ids::ScaleId;
use crate::ids::TicketId;
use crate::ids::{
    AccountId, AgentRequestId, AgentReturnId, BackupId, BranchId, BrandId, CashBoxId, CategoryId, ClientId, CompanyId, ContactId,
    CrmDealId, DocumentId, ImageId, ImportId, LotId, MoneyCategoryId, MoneyDocId, OrderId, PipelineId, PlanId, PrinterId, ProductId,
    PromoRuleId, PurchaseId, PurchaseReturnId, RoleId, SaleId, ShiftId, StageId, SupplierPaymentId, TaskId, UserId, WarehouseId,
};
use crate::ids::{CalEventId, ResourceId};
use crate::ids::{ChannelId, ConversationId, MessageId, NotificationId, TemplateId};
use crate::ids::{ContractId, SimId, SubscriberId, TariffId};

macro_rules! u64_key {
    ($($id:ident),* $(,)?) => {$(
        impl redb::Value for $id {
            type SelfType<'a> = $id;
            type AsBytes<'a> = <u64 as redb::Value>::AsBytes<'a>;

            const NICHE: Option<&'static [u8]> = <u64 as redb::Value>::NICHE;

            fn fixed_width() -> Option<usize> {
                <u64 as redb::Value>::fixed_width()
            }

            fn from_bytes<'a>(data: &'a [u8]) -> $id
            where
                Self: 'a,
            {
                $id(<u64 as redb::Value>::from_bytes(data))
            }

            fn as_bytes<'a, 'b: 'a>(value: &'a $id) -> Self::AsBytes<'a>
            where
                Self: 'b,
            {
                <u64 as redb::Value>::as_bytes(&value.0)
            }

            fn type_name() -> redb::TypeName {
                <u64 as redb::Value>::type_name()
            }
        }

        impl super::codec::StoredKey for $id {
            type Raw = u64;

            fn to_raw<'a, 'b: 'a>(key: &'a Self::SelfType<'b>) -> <Self::Raw as redb::Value>::SelfType<'a> {
                key.0
            }

            fn from_raw<'a>(raw: <Self::Raw as redb::Value>::SelfType<'a>) -> Self::SelfType<'a> {
                $id(raw)
            }
        }

        impl redb::Key for $id {
            fn compare(data1: &[u8], data2: &[u8]) -> Ordering {
                <u64 as redb::Key>::compare(data1, data2)
            }

            fn separator<'a>(left: &'a [u8], right: &'a [u8]) -> Cow<'a, [u8]> {
                <u64 as redb::Key>::separator(left, right)
            }

            fn min_encoded_key() -> Option<Cow<'static, [u8]>> {
                <u64 as redb::Key>::min_encoded_key()
            }
        }
    )*};
}

u64_key!(
    CompanyId,
    BranchId,
    UserId,
    RoleId,
    PlanId,
    BackupId,
    ProductId,
    CategoryId,
    BrandId,
    WarehouseId,
    DocumentId,
    CashBoxId,
    ShiftId,
    SaleId,
    ClientId,
    PrinterId,
    ImportId,
    ImageId,
    AccountId,
    MoneyDocId,
    MoneyCategoryId,
    LotId,
    AgentReturnId,
    AgentRequestId,
    PromoRuleId,
    PurchaseId,
    PurchaseReturnId,
    SupplierPaymentId,
    ChannelId,
    ConversationId,
    MessageId,
    TemplateId,
    NotificationId,
    ScaleId,
    ContactId,
    PipelineId,
    StageId,
    CrmDealId,
    TaskId,
    OrderId,
);

u64_key!(SubscriberId, SimId, TariffId, ContractId);
u64_key!(TicketId);
u64_key!(MergeId);
u64_key!(LabelScaleId);
u64_key!(ReviewId);
u64_key!(ResourceId, CalEventId);
use crate::ids::{MailId, RuleId};
u64_key!(MailId, RuleId);
use crate::ids::{CrmDocId, DocTemplateId};
u64_key!(DocTemplateId, CrmDocId);
use crate::ids::AttachmentId;
u64_key!(AttachmentId);

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, TableDefinition};

    use super::*;

    const RAW: TableDefinition<(u64, u64), u64> = TableDefinition::new("company_productid_n");
    const TYPED: TableDefinition<(CompanyId, ProductId), u64> = TableDefinition::new("company_productid_n");
    const RAW_LONG: TableDefinition<(u64, u64, u64, u64), u64> = TableDefinition::new("company_wh_product_date_n");
    const TYPED_LONG: TableDefinition<(CompanyId, WarehouseId, ProductId, u64), u64> = TableDefinition::new("company_wh_product_date_n");

    #[test]
    fn ids_encode_name_and_sort_as_the_u64_they_wrap() {
        use redb::{Key, Value};
        for n in [0u64, 1, 255, 256, 1 << 40, u64::MAX] {
            assert_eq!(CompanyId::as_bytes(&CompanyId(n)), u64::as_bytes(&n));
            assert_eq!(CompanyId::from_bytes(&n.to_le_bytes()), CompanyId(n));
        }
        assert_eq!(ProductId::type_name(), u64::type_name());
        assert_eq!(<(CompanyId, ProductId)>::type_name(), <(u64, u64)>::type_name());
        assert_eq!(<(CompanyId, &str)>::type_name(), <(u64, &str)>::type_name());
        let (a, b) = (256u64.to_le_bytes(), 1u64.to_le_bytes());
        assert_eq!(ProductId::compare(&a, &b), Ordering::Greater);
    }

    /// The promise this module exists for: a table created with `u64` keys (every table of a
    /// file written before keys were typed) opens with typed keys, in both directions, and sees
    /// the same rows in the same order.
    #[test]
    fn a_table_written_with_u64_keys_opens_with_typed_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let db = redb::Database::create(dir.path().join("keys.redb")).expect("create");
        let w = db.begin_write().expect("write");
        {
            let mut t = w.open_table(RAW).expect("raw table");
            t.insert((7, 300), 1).expect("insert");
            t.insert((7, 2), 2).expect("insert");
            t.insert((8, 1), 3).expect("insert");
            let mut long = w.open_table(RAW_LONG).expect("raw long table");
            long.insert((7, 1, 2, 1_700_000_000_000), 4).expect("insert");
        }
        w.commit().expect("commit");

        let r = db.begin_read().expect("read");
        let t = r.open_table(TYPED).expect("a u64-keyed table opens with typed keys");
        assert_eq!(t.get((CompanyId(7), ProductId(300))).expect("get").map(|v| v.value()), Some(1));
        let rows: Vec<((CompanyId, ProductId), u64)> = t
            .range((CompanyId(7), ProductId(0))..=(CompanyId(7), ProductId(u64::MAX)))
            .expect("range")
            .map(|row| row.map(|(k, v)| (k.value(), v.value())).expect("row"))
            .collect();
        assert_eq!(rows, vec![((CompanyId(7), ProductId(2)), 2), ((CompanyId(7), ProductId(300)), 1)]);
        let long = r.open_table(TYPED_LONG).expect("long typed table");
        assert_eq!(long.get((CompanyId(7), WarehouseId(1), ProductId(2), 1_700_000_000_000)).expect("get").map(|v| v.value()), Some(4));
        drop((t, long, r));

        // And a table created with typed keys is still a `u64` table to an older binary.
        let w = db.begin_write().expect("write");
        w.open_table(TYPED).expect("typed").insert((CompanyId(9), ProductId(1)), 5).expect("insert");
        w.commit().expect("commit");
        let r = db.begin_read().expect("read");
        assert_eq!(r.open_table(RAW).expect("raw again").get((9, 1)).expect("get").map(|v| v.value()), Some(5));
    }
}
