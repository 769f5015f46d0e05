//! The one multipart/form-data reader (RFC 7578) of the pages: file uploads (logo, product
//! imports) and the `_csrf` field of such forms (found in the first bytes of the body by the
//! `csrf_form_field` middleware; the file read by the handler, bounded, after the caller's
//! rights are checked).

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Present for file inputs (possibly empty when no file was chosen).
    pub file_name: Option<String>,
    pub mime: String,
    pub bytes: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first part named `field`.
pub fn part(content_type: &str, body: &[u8], field: &str) -> Option<Part> {
    let boundary = content_type.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?.trim_matches('"');
    if boundary.is_empty() {
        return None;
    }
    let delimiter = format!("\r\n--{boundary}");
    // The first delimiter may open the body without the leading CRLF.
    let first = format!("--{boundary}");
    let mut rest = &body[find(body, first.as_bytes())? + first.len()..];
    loop {
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let end = find(content, delimiter.as_bytes())?;
        let (mut name, mut file_name, mut mime) = (None, None, String::new());
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else { continue };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').map(str::trim) {
                    if let Some(n) = param.strip_prefix("name=") {
                        name = Some(n.trim_matches('"'));
                    }
                    if let Some(f) = param.strip_prefix("filename=") {
                        file_name = Some(f.trim_matches('"').to_string());
                    }
                }
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                mime = value.trim().to_string();
            }
        }
        if name == Some(field) {
            return Some(Part { file_name, mime, bytes: content[..end].to_vec() });
        }
        rest = &content[end + delimiter.len()..];
        if rest.starts_with(b"--") {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntoken-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nname;price\r\nX;1\r\n--XyZ--\r\n";
        let ct = "multipart/form-data; boundary=XyZ";
        assert_eq!(part(ct, body, "_csrf").map(|p| p.bytes), Some(b"token-1".to_vec()));
        let file = part(ct, body, "file").expect("file part");
        assert_eq!(
            (file.file_name.as_deref(), file.mime.as_str(), file.bytes.as_slice()),
            (Some("a.csv"), "text/csv", &b"name;price\r\nX;1"[..])
        );
        assert_eq!(part(ct, body, "missing"), None);
        assert_eq!(part("multipart/form-data", body, "_csrf"), None);
        assert_eq!(part(ct, b"garbage", "_csrf"), None);
    }
}
