//! TCP fronts that stand between the gateway and what it talks to, to break the link on
//! purpose: a database that "stops", a vendor whose answers are lost.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy in front of Postgres that can "stop the database": drop every connection
/// and refuse new ones, then accept again — the shared server itself is never touched.
pub(crate) struct DbSwitch {
    pub(crate) addr: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl DbSwitch {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Self {
            addr,
            up,
            links,
            accept,
        }
    }

    pub(crate) fn stop_database(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub(crate) fn start_database(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for DbSwitch {
    fn drop(&mut self) {
        self.accept.abort();
        self.stop_database();
    }
}

/// A TCP front for the vendor simulators that sees what a vendor log cannot: it records the
/// request line (and `traceparent` header) of every request it forwards — also ones the
/// vendor never answers (a hang) —
/// and it can lose the vendor's answers, so the vendor acts and the gateway never hears back
/// (the case a timeout cannot tell apart from "never arrived").
pub(crate) struct VendorFront {
    pub(crate) addr: SocketAddr,
    /// Request line and `traceparent` of each request, in arrival order.
    heads: Heads,
    lose_answers: Arc<AtomicBool>,
    accept: JoinHandle<()>,
}

/// `POST /heymilo/api/ingest/x/k` from a chunk that starts a request, else `None` (bodies).
pub(crate) fn request_line(chunk: &[u8]) -> Option<String> {
    let end = chunk.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&chunk[..end]).ok()?;
    let (method, rest) = line.split_once(' ')?;
    let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&method);
    (known && rest.ends_with(" HTTP/1.1")).then(|| line.trim_end_matches(" HTTP/1.1").to_string())
}

/// What a [`VendorFront`] saw: each request line and the `traceparent` it carried.
type Heads = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The `traceparent` header in a chunk that starts a request (its head), if present.
pub(crate) fn traceparent_in(chunk: &[u8]) -> Option<String> {
    let end = chunk
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(chunk.len());
    let head = std::str::from_utf8(&chunk[..end]).ok()?;
    head.split("\r\n").skip(1).find_map(|h| {
        let (name, value) = h.split_once(':')?;
        name.eq_ignore_ascii_case("traceparent")
            .then(|| value.trim().to_string())
    })
}

impl VendorFront {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads: Heads = Arc::default();
        let lose_answers = Arc::new(AtomicBool::new(false));
        let (heads2, lose) = (heads.clone(), lose_answers.clone());
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let (heads, lose) = (heads2.clone(), lose.clone());
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut from_gateway, mut to_gateway) = inbound.into_split();
                    let (mut from_vendor, mut to_vendor) = outbound.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = from_gateway.read(&mut buf).await {
                            if let Some(line) = request_line(&buf[..n]) {
                                let traceparent = traceparent_in(&buf[..n]);
                                heads.lock().unwrap().push((line, traceparent));
                            }
                            if to_vendor.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let down = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = from_vendor.read(&mut buf).await {
                            if lose.load(Ordering::SeqCst) {
                                continue;
                            }
                            if to_gateway.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                    }
                });
            }
        });
        Self {
            addr,
            heads,
            lose_answers,
            accept,
        }
    }

    /// The base URL a connection to `vendor` behind this front uses.
    pub(crate) fn url(&self, vendor: &str) -> String {
        gateway_sandbox::vendor_url(&format!("http://{}", self.addr), vendor)
    }

    /// Requests that reached the front (answered or not) with this method and path prefix.
    pub(crate) fn requests(&self, method: &str, prefix: &str) -> usize {
        let want = format!("{method} {prefix}");
        self.heads
            .lock()
            .unwrap()
            .iter()
            .filter(|(l, _)| l.starts_with(&want))
            .count()
    }

    /// The `traceparent` each request with this method and path prefix carried (`None`: it
    /// carried none), in arrival order.
    pub(crate) fn traceparents(&self, method: &str, prefix: &str) -> Vec<Option<String>> {
        let want = format!("{method} {prefix}");
        self.heads
            .lock()
            .unwrap()
            .iter()
            .filter(|(l, _)| l.starts_with(&want))
            .map(|(_, t)| t.clone())
            .collect()
    }

    pub(crate) fn lose_answers(&self, lose: bool) {
        self.lose_answers.store(lose, Ordering::SeqCst);
    }
}

impl Drop for VendorFront {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
