//! Webhooks the simulated vendors send, with a record of each attempt.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub vendor: String,
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The receiver's status, or `None` when it could not be reached.
    pub status: Option<u16>,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub struct WebhookSender {
    client: reqwest::Client,
    deliveries: Mutex<Vec<Delivery>>,
}

impl Default for WebhookSender {
    fn default() -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            deliveries: Mutex::new(Vec::new()),
        }
    }
}

impl WebhookSender {
    /// Send one webhook and record it; returns the receiver's status.
    pub async fn send(
        &self,
        vendor: &str,
        method: reqwest::Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
    ) -> Option<u16> {
        let mut req = self.client.request(method.clone(), url);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        if method != reqwest::Method::GET {
            req = req
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let status = req.send().await.ok().map(|r| r.status().as_u16());
        self.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Delivery {
                vendor: vendor.to_string(),
                url: url.to_string(),
                method: method.to_string(),
                headers,
                body,
                status,
                at: chrono::Utc::now(),
            });
        status
    }

    /// Send, retrying failures `retries` more times with a short pause (vendors retry).
    pub async fn send_with_retries(
        &self,
        vendor: &str,
        method: reqwest::Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
        retries: u32,
    ) -> Option<u16> {
        let mut last = None;
        for attempt in 0..=retries {
            last = self
                .send(vendor, method.clone(), url, headers.clone(), body.clone())
                .await;
            if last.is_some_and(|s| (200..300).contains(&s)) {
                break;
            }
            if attempt < retries {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        last
    }

    pub fn deliveries(&self, vendor: Option<&str>) -> Vec<Delivery> {
        let d = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        d.iter()
            .filter(|x| vendor.is_none_or(|v| x.vendor == v))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
