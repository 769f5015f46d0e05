//! The edge of the server: nothing is read before the caller is known and allowed, public
//! routes take small bodies, sign-in forms carry a CSRF token, and slow or idle clients are
//! dropped instead of holding connections.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Client, TestApp};

/// What a client that sent only the start of a request hears within `wait`.
#[derive(Debug, PartialEq)]
enum Heard {
    /// The status line's code.
    Status(u16),
    /// The server closed the connection without an answer.
    Closed,
    /// Nothing: the server is still waiting for the rest.
    Waiting,
}

async fn send_start(t: &TestApp, head: &str, first: &[u8], wait: Duration) -> Heard {
    let addr = t.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut start = head.as_bytes().to_vec();
    start.extend_from_slice(first);
    if s.write_all(&start).await.is_err() {
        return Heard::Closed;
    }
    heard(&mut s, wait).await
}

async fn heard(s: &mut TcpStream, wait: Duration) -> Heard {
    let mut buf = vec![0u8; 16 * 1024];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Err(_) => Heard::Waiting,
        Ok(Ok(0)) | Ok(Err(_)) => Heard::Closed,
        Ok(Ok(n)) => {
            let text = String::from_utf8_lossy(&buf[..n]);
            Heard::Status(text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0))
        }
    }
}

fn csrf_in(html: &str) -> Option<String> {
    html.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_string)
}

fn cookies_of(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .map(str::to_string)
        .collect()
}

fn plain_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Signs in through the page's form; returns the session's `Cookie` header and CSRF token.
async fn page_session(t: &TestApp, email: &str, password: &str) -> (String, String) {
    let http = plain_http();
    let r = http.get(t.url("/login")).send().await.expect("login page");
    let pre = cookies_of(&r).join("; ");
    let html = r.text().await.expect("body");
    let mut form = vec![("email", email.to_string()), ("password", password.to_string())];
    if let Some(token) = csrf_in(&html) {
        form.push(("_csrf", token));
    }
    let r = http.post(t.url("/login")).header("cookie", pre).form(&form).send().await.expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let session = cookies_of(&r).into_iter().find(|c| c.starts_with("dukan_session=")).expect("session cookie");
    let home = http.get(t.url("/")).header("cookie", &session).send().await.expect("home").text().await.expect("body");
    (session, csrf_in(&home).expect("a _csrf field on the shell"))
}

/// An owner with a product, and a staff member whose role holds only the dashboard.
async fn shop_with_clerk(t: &TestApp) -> (Client, Client, u64) {
    t.company("Край", "owner@edge.kg", "password-123").await;
    let owner = t.login("owner@edge.kg", "password-123").await;
    let (s, role) = t.post(&owner, "/api/v1/roles", json!({"name": "Наблюдатель", "permissions": ["dashboard"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(&owner, "/api/v1/branches").await;
    let user = json!({"email": "clerk@edge.kg", "name": "Азамат", "role": "staff", "custom_role": role["id"],
        "branches": [branches[0]["id"]], "password": "password-456"});
    let (s, u) = t.post(&owner, "/api/v1/users", user).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let clerk = t.login("clerk@edge.kg", "password-456").await;
    let (s, p) = t.post(&owner, "/api/v1/products", json!({"name": "Чай", "price": "100"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (owner, clerk, p["id"].as_u64().expect("product id"))
}

const BIG: usize = 20 * 1024 * 1024;
const WAIT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn unfinished_large_uploads_to_sign_in_are_refused_before_their_bodies() {
    let t = TestApp::spawn().await;
    t.company("Край", "owner@edge.kg", "password-123").await;
    let head = format!("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: {BIG}\r\n\r\n");
    let first = b"--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n";
    let uploads = (0..40).map(|_| send_start(&t, &head, first, WAIT));
    let heard = futures_util::future::join_all(uploads).await;
    assert!(heard.iter().all(|h| *h == Heard::Status(400)), "every upload refused at once: {heard:?}");
    // A url-encoded body over the public limit is refused by its declared length, too.
    let head =
        format!("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {BIG}\r\n\r\n");
    assert_eq!(send_start(&t, &head, b"email=a", WAIT).await, Heard::Status(413));
    let head = format!("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n");
    assert_eq!(send_start(&t, &head, b"{\"email\":", WAIT).await, Heard::Status(413));
    // Multipart is never taken by a public route, whatever its size.
    let r = plain_http()
        .post(t.url("/login"))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(&b"--B\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na\r\n--B--\r\n"[..])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uploads_without_the_right_are_refused_before_the_body_is_read() {
    let t = TestApp::spawn().await;
    let (owner, clerk, product) = shop_with_clerk(&t).await;
    // The start of a body that would otherwise be parsed as a valid import.
    let csv = "Наименование;Цена\r\nКофе;250\r\n";
    for (method, path, content_type) in [
        ("POST", "/api/v1/imports?file_name=a.csv".to_string(), "text/csv"),
        ("POST", format!("/api/v1/products/{product}/images"), "image/png"),
        ("PUT", "/api/v1/company/logo".to_string(), "image/png"),
    ] {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {BIG}\r\n\r\n",
            clerk.token
        );
        assert_eq!(send_start(&t, &head, csv.as_bytes(), WAIT).await, Heard::Status(403), "{method} {path}");
    }
    // Nobody signed in: refused before the body too.
    let head = format!("POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: {BIG}\r\n\r\n");
    assert_eq!(send_start(&t, &head, csv.as_bytes(), WAIT).await, Heard::Status(401));

    // The page forms: the clerk's session and CSRF token are good, the right is missing.
    let (cookie, csrf) = page_session(&t, "clerk@edge.kg", "password-456").await;
    let part = format!(
        "--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}"
    );
    for path in ["/products/import".to_string(), format!("/products/{product}/images"), "/settings/logo".to_string()] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: {BIG}\r\n\r\n"
        );
        assert_eq!(send_start(&t, &head, part.as_bytes(), WAIT).await, Heard::Status(403), "{path}");
    }
    // The owner's own upload of the same file still works, with the token as the first field.
    let (cookie, csrf) = page_session(&t, "owner@edge.kg", "password-123").await;
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--B--\r\n"
    );
    let send = |body: String| {
        plain_http()
            .post(t.url("/products/import"))
            .header("cookie", &cookie)
            .header("content-type", "multipart/form-data; boundary=B")
            .body(body)
            .send()
    };
    let r = send(body.clone()).await.expect("upload");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the owner's import is previewed");
    // Without the token, or with a wrong one, nothing is read past it and nothing is stored.
    let r = send(body.replace(&csrf, "forged")).await.expect("upload");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(body.replacen("name=\"_csrf\"", "name=\"other\"", 1)).await.expect("upload");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, imports) = t.get(&owner, "/api/v1/imports").await;
    assert_eq!(imports.as_array().map(Vec::len), Some(1), "{imports}");
}

#[tokio::test]
async fn sign_in_forms_need_their_csrf_token() {
    let t = TestApp::spawn().await;
    // First-run setup without the token is refused and creates nothing.
    let setup =
        [("name", "Нур"), ("country", "KG"), ("owner_name", "Айбек"), ("owner_email", "owner@nur.kg"), ("owner_password", "owner-pass-1")];
    let r = plain_http().post(t.url("/setup")).form(&setup).send().await.expect("setup");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = plain_http().get(t.url("/")).send().await.expect("home");
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/setup"), "still not set up");

    t.company("Край", "owner@edge.kg", "password-123").await;
    let form = [("email", "owner@edge.kg"), ("password", "password-123")];
    let r = plain_http().post(t.url("/login")).form(&form).send().await.expect("login");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token");
    assert!(!cookies_of(&r).iter().any(|c| c.starts_with("dukan_session=")), "no session");
    // A token from another browser's pre-session cookie is refused, too.
    let http = plain_http();
    let page = http.get(t.url("/login")).send().await.expect("page");
    let pre = cookies_of(&page).join("; ");
    let token = csrf_in(&page.text().await.expect("body")).expect("the login form has a _csrf field");
    let other = plain_http().get(t.url("/login")).send().await.expect("page");
    let other_pre = cookies_of(&other).join("; ");
    let forged = [("email", "owner@edge.kg"), ("password", "password-123"), ("_csrf", token.as_str())];
    let r = http.post(t.url("/login")).header("cookie", other_pre).form(&forged).send().await.expect("login");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a token of another pre-session");
    let r = http.post(t.url("/login")).header("cookie", &pre).form(&forged).send().await.expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the form's own token");
    // The JSON API needs no cookie and no token.
    let (s, _) = t
        .call(reqwest::Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "owner@edge.kg", "password": "password-123"})))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_half_sent_header_is_dropped_after_the_header_timeout() {
    let t = TestApp::spawn_with(|c| c.header_timeout_secs = 1).await;
    let heard = send_start(&t, "GET /healthz HTTP/1.1\r\nHost: x\r\n", b"", Duration::from_secs(4)).await;
    assert!(matches!(heard, Heard::Closed | Heard::Status(408)), "{heard:?}");
    // An idle connection (nothing sent) goes the same way.
    let heard = send_start(&t, "", b"", Duration::from_secs(4)).await;
    assert!(matches!(heard, Heard::Closed | Heard::Status(408)), "{heard:?}");
}

#[tokio::test]
async fn a_trickled_body_is_dropped() {
    let t = TestApp::spawn_with(|c| c.body_timeout_secs = 1).await;
    t.company("Край", "owner@edge.kg", "password-123").await;
    let owner = t.login("owner@edge.kg", "password-123").await;
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        owner.token,
        1024 * 1024
    );
    let heard = send_start(&t, &head, "Наименование;Цена\r\n".as_bytes(), Duration::from_secs(5)).await;
    assert!(matches!(heard, Heard::Closed | Heard::Status(408)), "{heard:?}");
}

#[tokio::test]
async fn idle_connections_over_the_cap_leave_healthz_answering() {
    let t = TestApp::spawn_with(|c| c.max_connections = 8).await;
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
        // Each is accepted (and registered) before the next arrives.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = tokio::time::timeout(WAIT, plain_http().get(t.url("/healthz")).send()).await;
    let status = r.ok().and_then(Result::ok).map(|r| r.status());
    assert_eq!(status, Some(StatusCode::OK), "/healthz answers past the idle connections");
    // The oldest idle connections made room: they were closed by the server.
    let mut closed = 0;
    for s in &mut idle {
        if heard(s, Duration::from_millis(200)).await == Heard::Closed {
            closed += 1;
        }
    }
    assert!(closed >= 40 - 8 - 1, "{closed} of 40 idle connections closed");
}
