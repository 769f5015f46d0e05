//! The printable contract and payment receipt for the counter, as `documents::Document`s
//! under the company's header: the contract with the subscriber and their document, the SIM
//! (ICCID, MSISDN), the tariff with the revision in force on the signing date, the number and
//! dates and both signature lines; the receipt with the payment, the balance after it and
//! who took it. Amounts go through `money::display` as on the pages.

use super::model::{ContractStatus, EntryKind, Method};
use super::query;
use super::store::LEDGER;
use crate::clients::statement::company_header;
use crate::documents::{self, Align, Block, Column, Document, Row, Table};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::ContractId;
use crate::money::display;
use crate::storage::Read;
use crate::tenancy::actor::Actor;

fn facts(rows: Vec<(&str, String)>) -> Block {
    Block::Table(Table {
        columns: vec![
            Column { title: String::new(), width: 1.0, align: Align::Left },
            Column { title: String::new(), width: 2.2, align: Align::Left },
        ],
        rows: rows.into_iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| Row::body(vec![k.to_string(), v])).collect(),
    })
}

fn heading(text: &str) -> Block {
    Block::Paragraph { text: text.to_string(), bold: true }
}

fn method_ru(m: Method) -> &'static str {
    match m {
        Method::Cash => "наличные",
        Method::Card => "карта",
        Method::BankTransfer => "банковский перевод",
        Method::MobilePayment => "мобильный платёж",
        Method::Terminal => "терминал",
        Method::System => "система",
    }
}

/// The contract as a document (needs the view right; another company's id is not found).
pub fn contract_document(tx: &impl Read, actor: &Actor, id: ContractId) -> Result<Document> {
    let card = query::contract(tx, actor, id)?;
    let company = crate::tenancy::query::company(tx, actor.company)?;
    let currency = company.country.currency();
    let (k, s) = (&card.contract, &card.subscriber);
    let amount = |d| display::money(Lang::Ru, d, currency);
    let document = s.document.as_ref().map(|d| format!("{} {} {}", d.kind.code(), d.series, d.number)).unwrap_or_default();
    let mut blocks = vec![
        heading("1. Абонент"),
        facts(vec![
            ("Абонент", s.display_name()),
            ("Документ", document),
            ("ПИН / ИНН", s.personal_no.clone().or_else(|| s.org_inn.clone()).unwrap_or_default()),
            ("Дата рождения", s.birth_date.clone().unwrap_or_default()),
            ("Телефон", s.phone.clone()),
            ("Адрес", s.address.clone()),
        ]),
        Block::Space(8.0),
        heading("2. SIM-карта"),
        facts(match &card.sim {
            Some(sim) => vec![("ICCID", sim.iccid.clone()), ("Номер (MSISDN)", sim.msisdn.clone()), ("IMSI", sim.imsi.clone())],
            None => vec![("SIM-карта", "выдаётся при активации".to_string())],
        }),
        Block::Space(8.0),
        heading("3. Тариф"),
    ];
    let unlimited = |n: u32, unit: &str| if n == 0 { "без ограничений".to_string() } else { format!("{n} {unit}") };
    match card.tariff.revision_on(&k.signed) {
        Some((i, r)) => blocks.push(facts(vec![
            ("Тариф", card.tariff.name.clone()),
            ("Редакция", format!("№{} от {}", i + 1, r.valid_from)),
            ("Абонентская плата", format!("{} в месяц", amount(r.monthly_fee))),
            ("Включено", format!("{}, {}, {}", unlimited(r.minutes, "мин"), unlimited(r.sms, "SMS"), unlimited(r.gb, "ГБ"))),
            ("Сверх пакета", format!("{} / мин, {} / SMS, {} / ГБ", amount(r.minute_rate), amount(r.sms_rate), amount(r.gb_rate))),
        ])),
        None => blocks.push(facts(vec![("Тариф", card.tariff.name.clone())])),
    }
    blocks.extend([
        Block::Space(8.0),
        heading("4. Условия"),
        Block::Paragraph {
            text: "Оператор оказывает абоненту услуги связи по указанному тарифу. Абонентская плата списывается \
                   с лицевого счёта ежемесячно в дату активации; при отрицательном балансе обслуживание \
                   приостанавливается и возобновляется после пополнения. Изменение тарифа действует со дня \
                   новой редакции и не меняет уже начисленного."
                .to_string(),
            bold: false,
        },
        Block::Space(24.0),
        Block::Signatures(vec![format!("Оператор: {}", company.name), format!("Абонент: {}", s.display_name())]),
    ]);
    let mut subtitle = vec![format!("Дата подписания: {}", k.signed)];
    if let Some(a) = &k.activated {
        subtitle.push(format!("Дата активации: {a}"));
    }
    if k.status == ContractStatus::Terminated
        && let Some(t) = &k.terminated
    {
        subtitle.push(format!("Расторгнут: {t}"));
    }
    Ok(Document {
        header: company_header(&company),
        title: format!("ДОГОВОР ОБ ОКАЗАНИИ УСЛУГ СВЯЗИ № {}", k.number),
        subtitle,
        blocks,
        page_label: documents::PAGE_RU.to_string(),
        metadata_title: format!("Договор {}", k.number),
    })
}

/// The receipt of payment row `seq` of a contract's ledger (a payment, not a charge).
pub fn receipt_document(tx: &impl Read, actor: &Actor, id: ContractId, seq: u64) -> Result<Document> {
    let card = query::contract(tx, actor, id)?;
    let e = tx.get(LEDGER, (actor.company, id, seq))?.ok_or(Error::NotFound)?;
    if e.kind != EntryKind::Payment {
        return Err(Error::NotFound);
    }
    let company = crate::tenancy::query::company(tx, actor.company)?;
    let tz = company.timezone.clone();
    let currency = company.country.currency();
    let cashier = match e.user {
        Some(u) => crate::tenancy::query::user(tx, actor.company, u).map(|u| u.name).unwrap_or_default(),
        None => "платёжный шлюз".to_string(),
    };
    let k = &card.contract;
    let blocks = vec![
        facts(vec![
            ("Договор", k.number.clone()),
            ("Абонент", card.subscriber.display_name()),
            ("Номер (MSISDN)", card.sim.as_ref().map(|s| s.msisdn.clone()).unwrap_or_default()),
            ("Дата и время", e.at.format_local(&tz)),
            ("Способ оплаты", method_ru(e.method).to_string()),
            ("ID транзакции", e.transaction_id.clone().unwrap_or_default()),
            ("Сумма", display::money(Lang::Ru, e.amount, currency)),
            ("Баланс после оплаты", display::money(Lang::Ru, e.balance_after, currency)),
            ("Принял", cashier.clone()),
        ]),
        Block::Space(24.0),
        Block::Signatures(vec![format!("Кассир: {cashier}"), format!("Абонент: {}", card.subscriber.display_name())]),
    ];
    Ok(Document {
        header: company_header(&company),
        title: format!("КВИТАНЦИЯ ОБ ОПЛАТЕ № {}-{}", k.number, seq + 1),
        subtitle: vec![format!("Договор № {}", k.number)],
        blocks,
        page_label: documents::PAGE_RU.to_string(),
        metadata_title: format!("Квитанция {}-{}", k.number, seq + 1),
    })
}

/// A document as PDF bytes.
pub fn pdf(doc: &Document) -> Result<Vec<u8>> {
    documents::render(doc).map_err(|e| Error::Internal(e.to_string()))
}
