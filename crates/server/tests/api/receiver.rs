//! A webhook receiver for tests: records every request and answers from a script.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;

#[derive(Debug, Clone)]
pub struct Received {
    pub method: axum::http::Method,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
    pub raw: Vec<u8>,
    pub at: std::time::Instant,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    /// Answers to give, in order; then 200. A `(status, delay)` pair.
    pub script: Arc<Mutex<VecDeque<(u16, Duration)>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let r = Receiver::default();
        let (got, script) = (r.got.clone(), r.script.clone());
        let app = Router::new().route(
            "/hook",
            any(
                move |method: axum::http::Method, headers: HeaderMap, body: Bytes| {
                    let (got, script) = (got.clone(), script.clone());
                    async move {
                        got.lock().unwrap().push(Received {
                            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                            raw: body.to_vec(),
                            method,
                            headers,
                            at: std::time::Instant::now(),
                        });
                        let next = script.lock().unwrap().pop_front();
                        let (status, delay) = next.unwrap_or((200, Duration::ZERO));
                        tokio::time::sleep(delay).await;
                        StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, ..r }
    }

    pub fn answer(&self, status: u16, delay: Duration) {
        self.script.lock().unwrap().push_back((status, delay));
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Wait until `n` requests arrived (at most `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
