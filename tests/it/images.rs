//! Product images over the API: upload, the three JPEG sizes, ETags, the refusals, delete, and
//! another company's view.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

/// A `width` × `height` PNG with a gradient, built here so the test needs no fixture files.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("encode png");
    out
}

async fn upload(t: &TestApp, c: &Client, product: u64, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = t
        .http
        .post(t.url(&format!("/api/v1/products/{product}/images")))
        .bearer_auth(&c.token)
        .header(header::CONTENT_TYPE, "image/png")
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn product(t: &TestApp, c: &Client, name: &str) -> u64 {
    let (s, p) = t.post(c, "/api/v1/products", json!({"name": name, "price": "10"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_u64().expect("id")
}

#[tokio::test]
async fn images_are_stored_in_three_sizes_with_etags_and_limits() {
    let t = TestApp::spawn().await;
    t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    let c = t.login("owner@alatoo.kg", "password-123").await;
    let p = product(&t, &c, "Чайник").await;

    let (s, img) = upload(&t, &c, p, png(1600, 800)).await;
    assert_eq!(s, StatusCode::CREATED, "{img}");
    assert_eq!((img["width"].as_u64(), img["height"].as_u64(), img["order"].as_u64()), (Some(1600), Some(800), Some(0)));
    let id = img["id"].as_u64().expect("id");
    for (size, w, h) in [(96, 96, 48), (320, 320, 160), (1024, 1024, 512)] {
        let resp =
            t.http.get(t.url(&format!("/api/v1/products/{p}/images/{id}/{size}.jpg"))).bearer_auth(&c.token).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert!(resp.headers()[header::CACHE_CONTROL].to_str().expect("ascii").starts_with("private"));
        let etag = resp.headers()[header::ETAG].clone();
        let bytes = resp.bytes().await.expect("bytes");
        let decoded = image::load_from_memory(&bytes).expect("a JPEG");
        assert_eq!((decoded.width(), decoded.height()), (w, h), "size {size}");
        let again = t
            .http
            .get(t.url(&format!("/api/v1/products/{p}/images/{id}/{size}.jpg")))
            .bearer_auth(&c.token)
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("get");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    let (s, _) = t.get(&c, &format!("/api/v1/products/{p}/images/{id}/500.jpg")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A small image is never enlarged.
    let (s, small) = upload(&t, &c, p, png(50, 20)).await;
    assert_eq!(s, StatusCode::CREATED, "{small}");
    let dims: Vec<(u64, u64)> = small["sizes"]
        .as_array()
        .expect("sizes")
        .iter()
        .map(|z| (z["width"].as_u64().unwrap_or(0), z["height"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(dims, vec![(50, 20); 3]);

    let (s, body) = upload(&t, &c, p, b"GIF89a? no, just text".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "image_invalid", "{body}");
    let (s, body) = upload(&t, &c, p, vec![0u8; 5 * 1024 * 1024 + 1]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "payload_too_large", "{body}");

    for _ in 3..=10 {
        let (s, body) = upload(&t, &c, p, png(8, 8)).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = upload(&t, &c, p, png(8, 8)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "images_too_many", "{body}");

    // Moving the first image last, then deleting it: order stays dense, bytes are gone.
    let (s, _) = t.post(&c, &format!("/api/v1/products/{p}/images/{id}/move"), json!({"position": 99})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = t.get(&c, &format!("/api/v1/products/{p}/images")).await;
    let list = list.as_array().expect("list").clone();
    assert_eq!(list.len(), 10);
    assert_eq!(list[9]["id"].as_u64(), Some(id));
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/products/{p}/images/{id}"), Some(&c.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.get(&c, &format!("/api/v1/products/{p}/images/{id}/320.jpg")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = t.get(&c, &format!("/api/v1/products/{p}/images")).await;
    let orders: Vec<u64> = list.as_array().expect("list").iter().filter_map(|i| i["order"].as_u64()).collect();
    assert_eq!(orders, (0..9).collect::<Vec<u64>>());
    t.assert_consistent();

    // Deleting the product takes its images along.
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/products/{p}"), Some(&c.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    t.assert_consistent();
}

#[tokio::test]
async fn another_company_cannot_see_or_touch_images() {
    let t = TestApp::spawn().await;
    t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    t.company("Бишкек Маркет", "owner@bm.kg", "password-123").await;
    let a = t.login("owner@alatoo.kg", "password-123").await;
    let b = t.login("owner@bm.kg", "password-123").await;
    let p = product(&t, &a, "Чайник").await;
    let (_, img) = upload(&t, &a, p, png(200, 100)).await;
    let id = img["id"].as_u64().expect("id");
    let (s, _) = t.get(&b, &format!("/api/v1/products/{p}/images/{id}/96.jpg")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.get(&b, &format!("/api/v1/products/{p}/images")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = upload(&t, &b, p, png(10, 10)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/products/{p}/images/{id}"), Some(&b.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.get(&a, &format!("/api/v1/products/{p}/images/{id}/96.jpg")).await;
    assert_eq!(s, StatusCode::OK);
    t.assert_consistent();
}

fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "dukanImageBoundary3";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").into_bytes();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_product_card_uploads_shows_and_deletes_images() {
    use crate::browser::{Plain, csrf_of, location};
    let t = TestApp::spawn().await;
    t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    let c = t.login("owner@alatoo.kg", "password-123").await;
    let p = product(&t, &c, "Чайник").await;
    let plain = Plain::new(&t);
    let r = plain.submit("/login", &[("email", "owner@alatoo.kg"), ("password", "password-123"), ("next", "/products")]).await;
    assert_eq!(location(&r), "/products");
    let page = plain.get(&format!("/products/{p}")).await.text().await.expect("body");
    assert!(page.contains("id=\"image-form\""), "the upload form on the card");
    let csrf = csrf_of(&page);
    let send = |file: Vec<u8>| {
        let (content_type, body) = multipart(&csrf, &file);
        plain.http.post(format!("{}/products/{p}/images", t.base)).header("content-type", content_type).body(body).send()
    };
    let r = send(png(640, 480)).await.expect("post");
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/products/{p}?ok=image_saved").as_str()));
    let r = send(b"plain text".to_vec()).await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("JPEG, PNG"), "the refusal is shown on the card");
    let page = plain.get(&format!("/products/{p}")).await.text().await.expect("body");
    let (_, list) = t.get(&c, &format!("/api/v1/products/{p}/images")).await;
    let id = list[0]["id"].as_u64().expect("id");
    assert!(page.contains(&format!("/api/v1/products/{p}/images/{id}/320.jpg\" width=\"320\" height=\"240\"")), "the 320 px image");
    let img = plain.get(&format!("/api/v1/products/{p}/images/{id}/1024.jpg")).await;
    assert_eq!(img.status(), 200, "the session cookie serves the images");
    let r = plain.post(&format!("/products/{p}/images/{id}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let (_, list) = t.get(&c, &format!("/api/v1/products/{p}/images")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    t.assert_consistent();
}
