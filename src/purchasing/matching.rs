//! The one-time matching step: free-text supplier names of older stock documents linked to
//! supplier clients.

use super::store::*;
use super::*;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ClientId, DocumentId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;

/// Free-text supplier names of stock documents not linked to a supplier yet, with how many
/// documents carry each (trimmed, compared without case): the matching step's list.
pub fn unmatched_names(tx: &impl Read, actor: &Actor) -> Result<Vec<(String, usize)>> {
    require_read(actor)?;
    let c = actor.company;
    let mut names: std::collections::BTreeMap<String, (String, usize)> = std::collections::BTreeMap::new();
    let mut docs = Vec::new();
    tx.range(crate::inventory::store::DOCUMENTS, (c, DocumentId::MIN), (c, DocumentId::MAX), false, usize::MAX, |(_, id), d| {
        if !d.supplier.trim().is_empty() {
            docs.push((id, d.supplier.trim().to_string()));
        }
        Ok(true)
    })?;
    for (id, name) in docs {
        if tx.get(DOC_SUPPLIERS, (c, id))?.is_none() {
            names.entry(name.to_lowercase()).or_insert((name, 0)).1 += 1;
        }
    }
    Ok(names.into_values().collect())
}

/// The matching step for one free-text name: links every unlinked document carrying it to
/// `supplier`, or to a new supplier client of that name when `supplier` is `None`. Linking
/// twice changes nothing. Returns the supplier and how many documents were linked.
pub fn match_name(tx: &mut WriteTx, actor: &Actor, now: Ts, name: &str, supplier_id: Option<ClientId>) -> Result<(ClientId, usize)> {
    require_write(actor)?;
    let c = actor.company;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::field("name", "required", "Укажите название поставщика", "Enter the supplier name"));
    }
    let sid = match supplier_id {
        Some(id) => {
            supplier(tx, c, id)?.ok_or_else(|| Error::field("supplier", "unknown_supplier", "Выберите поставщика", "Choose a supplier"))?.id
        }
        None => {
            let draft = crate::clients::ClientDraft { kind: "supplier".into(), name: name.into(), ..Default::default() };
            crate::clients::save_client(tx, actor, now, None, &draft)?.0.id
        }
    };
    let key = name.to_lowercase();
    let mut docs = Vec::new();
    tx.range(crate::inventory::store::DOCUMENTS, (c, DocumentId::MIN), (c, DocumentId::MAX), false, usize::MAX, |(_, id), d| {
        if d.supplier.trim().to_lowercase() == key {
            docs.push(id);
        }
        Ok(true)
    })?;
    let mut linked = 0;
    for id in docs {
        if tx.get(DOC_SUPPLIERS, (c, id))?.is_none() {
            link(tx, c, id, sid, now, actor)?;
            linked += 1;
        }
    }
    audit::record(tx, c, actor, now, "supplier.match", format!("client:{sid}"), format!("{name}: {linked}"))?;
    Ok((sid, linked))
}

/// Links one stock document (a receipt or a return to supplier made outside purchasing) to a
/// supplier client; its free text stays as it was.
pub fn link_document(tx: &mut WriteTx, actor: &Actor, now: Ts, doc: DocumentId, supplier_id: ClientId) -> Result<()> {
    require_write(actor)?;
    let c = actor.company;
    let d = tx.get(crate::inventory::store::DOCUMENTS, (c, doc))?.ok_or(Error::NotFound)?;
    if !matches!(d.kind, crate::inventory::model::DocKind::Receipt | crate::inventory::model::DocKind::SupplierReturn) {
        return Err(Error::refused(
            "not_a_supplier_document",
            "Поставщика указывают у прихода или возврата",
            "Only receipts and returns name a supplier",
        ));
    }
    if supplier(tx, c, supplier_id)?.is_none() {
        return Err(Error::field("supplier", "unknown_supplier", "Выберите поставщика", "Choose a supplier"));
    }
    link(tx, c, doc, supplier_id, now, actor)?;
    audit::record(tx, c, actor, now, "supplier.link", format!("document:{doc}"), format!("client:{supplier_id}"))?;
    Ok(())
}
