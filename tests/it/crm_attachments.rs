//! Files on the client card (issue 17, attachments): an upload stored in chunks and read back
//! byte for byte, always downloaded as an attachment with a safe content type, listed on the
//! card and in the timeline, audited on upload and removal; the per-file limit (413
//! `attachment_too_large`), the company's quota (409 `attachment_quota_exceeded`, refused
//! before the body once spent), rights (403) and another company's files (404).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, location};
use crate::common::{Client, TestApp};
use crate::crm_public::signed_in;

async fn upload(t: &TestApp, c: &Client, client: u64, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let r = t
        .http
        .post(t.url(&format!("/api/v1/crm/clients/{client}/attachments?name={}", encode(name))))
        .bearer_auth(&c.token)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A query value with every byte but letters, digits and `.-_~` percent-encoded.
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"._-~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// Bytes that differ from chunk to chunk, so a chunk out of order would show.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 1_048_576) as u8).collect()
}

#[tokio::test]
async fn a_file_is_stored_in_chunks_listed_downloaded_as_an_attachment_and_deleted() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@files.kg").await;
    let client = crate::crm::client(&t, &o, "ОсОО «Ромашка»").await;

    // A 2.5 MB scan: three chunks.
    let scan = pattern(2_621_440 + 17);
    let (s, pdf) = upload(&t, &o, client, "Договор №5.pdf", scan.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    assert_eq!(
        (pdf["name"].as_str(), pdf["content_type"].as_str(), pdf["size"].as_u64()),
        (Some("Договор №5.pdf"), Some("application/pdf"), Some(2_621_457))
    );
    let (s, page) = upload(&t, &o, client, "../../index.html", b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{page}");
    assert_eq!((page["name"].as_str(), page["content_type"].as_str()), (Some("index.html"), Some("application/octet-stream")));

    let (s, list) = t.get(&o, &format!("/api/v1/crm/clients/{client}/attachments")).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<u64> = list.as_array().expect("list").iter().filter_map(|a| a["id"].as_u64()).collect();
    assert_eq!(ids, vec![page["id"].as_u64().expect("id"), pdf["id"].as_u64().expect("id")], "newest first");

    let r = t.http.get(t.url(&format!("/api/v1/crm/attachments/{}/file", pdf["id"]))).bearer_auth(&o.token).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "application/pdf");
    let disposition = header(&r, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.contains("filename*=UTF-8''%D0%94%D0%BE%D0%B3"),
        "{disposition}"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), scan, "the chunks read back in order");
    let r = t.http.get(t.url(&format!("/api/v1/crm/attachments/{}/file", page["id"]))).bearer_auth(&o.token).send().await.expect("get");
    assert_eq!(header(&r, "content-type"), "application/octet-stream", "an HTML file is never served as a page");
    assert!(header(&r, "content-disposition").starts_with("attachment;"));

    // The timeline and the audit log have a row for each upload, then for the removal.
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/crm/attachments/{}", page["id"]), Some(&o.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.get(&o, &format!("/api/v1/crm/attachments/{}", page["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{client}/timeline")).await;
    let text = tl.to_string();
    assert_eq!((text.matches("\"attachment_added\"").count(), text.matches("\"attachment_removed\"").count()), (2, 1), "{tl}");
    for (action, n) in [("crm.attachment.create", 2), ("crm.attachment.delete", 1)] {
        let (_, audit) = t.get(&o, &format!("/api/v1/audit?action={action}")).await;
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(n), "{action}: {audit}");
    }
    let (_, list) = t.get(&o, &format!("/api/v1/crm/clients/{client}/attachments")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // An empty file is bad input.
    let (s, e) = upload(&t, &o, client, "empty.txt", Vec::new()).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file_empty")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn the_card_uploads_lists_downloads_and_deletes_files() {
    let t = TestApp::spawn_with(|c| c.attachment_limit_kb = 64).await;
    let o = crate::crm::owner(&t, "owner@card.kg").await;
    let client = crate::crm::client(&t, &o, "Асель").await;
    let (p, csrf) = signed_in(&t, "owner@card.kg", "password-123", &format!("/clients/{client}")).await;
    let post_file = |name: &'static str, bytes: Vec<u8>| {
        let boundary = "dukanAttachBoundary3";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").into_bytes();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        p.http
            .post(format!("{}/crm/clients/{client}/attachments", p.base))
            .header("accept", "text/html")
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    let r = post_file("Прайс 2026.pdf", b"%PDF-1.4 price".to_vec()).await.expect("post");
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/clients/{client}?ok=attachment_saved#attachments").as_str()));
    let panel = p.get(&format!("/crm/clients/{client}/panel")).await.text().await.expect("panel");
    assert!(panel.contains("Прайс 2026.pdf") && panel.contains("id=\"attachment-form\""), "{panel}");
    let id: u64 =
        panel.split("/crm/attachments/").nth(1).and_then(|s| s.split('/').next()).and_then(|s| s.parse().ok()).expect("a download link");
    assert!(panel.contains("Файл прикреплён"), "the timeline row");
    let r = p.get(&format!("/crm/attachments/{id}/file")).await;
    assert_eq!((r.status(), header(&r, "content-type")), (StatusCode::OK, "application/pdf".to_string()));
    assert!(header(&r, "content-disposition").starts_with("attachment;"));
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), b"%PDF-1.4 price");

    // Over the limit: the card again with the message, 413, nothing stored.
    let r = post_file("big.pdf", vec![b'x'; 65 * 1024]).await.expect("post");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.expect("card").contains("Файл больше 64 КБ"), "the card says why");
    let r = post_file("", Vec::new()).await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = p.post(&format!("/crm/attachments/{id}/delete"), &[("_csrf", csrf.as_str())]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/clients/{client}?ok=attachment_deleted#attachments").as_str()));
    let panel = p.get(&format!("/crm/clients/{client}/panel")).await.text().await.expect("panel");
    assert!(!panel.contains("Прайс 2026.pdf\n") && !panel.contains(&format!("/crm/attachments/{id}/file")), "gone from the card");
    assert!(p.get(&format!("/clients/{client}?ok=attachment_deleted")).await.text().await.expect("card").contains("Файл удалён."));
    t.assert_consistent();
}

#[tokio::test]
async fn the_per_file_limit_and_the_company_quota_refuse_with_stable_codes() {
    let t = TestApp::spawn_with(|c| {
        c.attachment_limit_kb = 700;
        c.attachment_quota_mb = 1;
    })
    .await;
    let o = crate::crm::owner(&t, "owner@quota.kg").await;
    let client = crate::crm::client(&t, &o, "Бакыт").await;

    let (s, e) = upload(&t, &o, client, "big.bin", vec![0; 700 * 1024 + 1]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("attachment_too_large")), "{e}");
    let (s, first) = upload(&t, &o, client, "a.bin", vec![1; 600 * 1024]).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, e) = upload(&t, &o, client, "b.bin", vec![2; 600 * 1024]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("attachment_quota_exceeded")), "{e}");
    let (s, second) = upload(&t, &o, client, "b.bin", vec![2; 400 * 1024]).await;
    assert_eq!(s, StatusCode::CREATED, "what fits goes in: {second}");
    let (s, e) = upload(&t, &o, client, "c.bin", vec![3; 24 * 1024]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CREATED, None), "exactly the quota: {e}");
    // The quota spent: refused before the body, whatever its size.
    let (s, e) = upload(&t, &o, client, "d.bin", vec![4; 1]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("attachment_quota_exceeded")), "{e}");
    // Deleting frees the room.
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/crm/attachments/{}", first["id"]), Some(&o.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = upload(&t, &o, client, "d.bin", vec![4; 500 * 1024]).await;
    assert_eq!(s, StatusCode::CREATED);
    t.assert_consistent();
}

#[tokio::test]
async fn files_need_a_crm_right_and_another_companys_are_not_found() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@frights.kg").await;
    let client = crate::crm::client(&t, &o, "Клиент").await;
    let (s, a) = upload(&t, &o, client, "secret.pdf", b"%PDF secret".to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_u64().expect("id");

    // A cashier (clients, no CRM right): refused everything, the body unread.
    let (cashier, _) = crate::crm::staff(&t, &o, "cashier@frights.kg", json!(["sale", "clients"])).await;
    let (s, e) = upload(&t, &cashier, client, "x.pdf", vec![0; 1024]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    for path in [
        format!("/api/v1/crm/clients/{client}/attachments"),
        format!("/api/v1/crm/attachments/{id}"),
        format!("/api/v1/crm/attachments/{id}/file"),
    ] {
        assert_eq!(t.get(&cashier, &path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/crm/attachments/{id}"), Some(&cashier.token), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Another company: every route with this company's ids is "not found", nothing changes.
    t.company("Чужая", "owner@falien.kg", "password-123").await;
    let alien = t.login("owner@falien.kg", "password-123").await;
    let (s, e) = upload(&t, &alien, client, "x.pdf", vec![0; 1024]).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
    for path in [
        format!("/api/v1/crm/clients/{client}/attachments"),
        format!("/api/v1/crm/attachments/{id}"),
        format!("/api/v1/crm/attachments/{id}/file"),
    ] {
        assert_eq!(t.get(&alien, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/crm/attachments/{id}"), Some(&alien.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let ap = Plain::new(&t);
    let r = ap.submit("/login", &[("email", "owner@falien.kg"), ("password", "password-123"), ("next", "/")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(ap.get(&format!("/crm/attachments/{id}/file")).await.status(), StatusCode::NOT_FOUND);
    let (s, list) = t.get(&o, &format!("/api/v1/crm/clients/{client}/attachments")).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "untouched");
    t.assert_consistent();
}
