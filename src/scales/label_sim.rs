//! A simulated Mertech label scale on a TCP socket, for tests and benches: it answers the
//! state request and product uploads (`mertech`), keeps the PLUs it accepted, rejects what a
//! real scale would (an empty name, a price of zero, a PLU beyond its table), refuses a
//! wrong password with result code 3, and can be switched off (`set_down`: connections are
//! closed at once) to exercise the uploader's retries.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::mertech::{self, WireProduct, WireResult};

/// The size of the simulated PLU table.
pub const CAPACITY: u32 = 10_000;

#[derive(Clone)]
pub struct LabelSim {
    pub password: [u8; 4],
    /// PLU → (name, price) as the scale holds them.
    held: Arc<Mutex<BTreeMap<u32, (String, String)>>>,
    down: Arc<AtomicBool>,
    /// Upload commands answered.
    pub uploads: Arc<AtomicU64>,
}

impl LabelSim {
    pub fn new(password: [u8; 4]) -> LabelSim {
        LabelSim { password, held: Arc::default(), down: Arc::new(AtomicBool::new(false)), uploads: Arc::new(AtomicU64::new(0)) }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// What the scale holds for `plu`: (name, price).
    pub fn plu(&self, plu: u32) -> Option<(String, String)> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).get(&plu).cloned()
    }

    pub fn count(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Serves on 127.0.0.1 on a free port until the runtime ends; returns the port.
    pub async fn serve(&self) -> std::io::Result<u16> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let sim = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if sim.down.load(Ordering::SeqCst) {
                    drop(stream);
                    continue;
                }
                let sim = sim.clone();
                tokio::spawn(async move { sim.session(stream).await });
            }
        });
        Ok(port)
    }

    async fn session(&self, mut stream: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let frame = match mertech::decode(&buf) {
                Ok(Some((frame, used))) => {
                    buf.drain(..used);
                    frame
                }
                Ok(None) => match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        continue;
                    }
                },
                Err(_) => return,
            };
            if self.down.load(Ordering::SeqCst) {
                return;
            }
            let reply = match frame.code {
                mertech::STATE => mertech::encode(mertech::STATE, &[0, 1, 0, 0]),
                mertech::PRODUCTS => self.upload(&frame),
                other => mertech::encode(other, &[1]),
            };
            if stream.write_all(&reply).await.is_err() {
                return;
            }
        }
    }

    fn upload(&self, frame: &mertech::Frame) -> Vec<u8> {
        self.uploads.fetch_add(1, Ordering::Relaxed);
        let Some((password, products)) = mertech::parse_products(frame) else {
            return mertech::products_reply(2, vec![]);
        };
        if password != self.password {
            return mertech::products_reply(3, vec![]);
        }
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let results = products
            .into_iter()
            .map(|p: WireProduct| {
                let problem = if p.name.trim().is_empty() {
                    Some("пустое наименование")
                } else if p.plu == 0 || p.plu > CAPACITY {
                    Some("ПЛУ вне таблицы")
                } else if p.price.parse::<rust_decimal::Decimal>().map_or(true, |v| v <= rust_decimal::Decimal::ZERO) {
                    Some("нулевая цена")
                } else {
                    None
                };
                match problem {
                    Some(m) => WireResult { plu: p.plu, ok: false, message: m.into() },
                    None => {
                        held.insert(p.plu, (p.name, p.price));
                        WireResult { plu: p.plu, ok: true, message: String::new() }
                    }
                }
            })
            .collect();
        mertech::products_reply(0, results)
    }
}
