//! A headless Chromium driven over WebDriver: chromedriver on a free loopback port, a fresh
//! profile, the browser's console log read after every page.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    driver_url: String,
    session: String,
    http: reqwest::Client,
    base: String,
    _profile: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

impl Browser {
    pub async fn start(base: &str) -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the console tests need Debian's chromium and chromium-driver (scripts/test installs them: ensure_chromium in scripts/services.sh)"
        );
        let port = free_port().await;
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http
                .get(format!("{driver_url}/status"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("ig-console-chromium-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&profile).unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .expect("a WebDriver session");
        let session = client.session_id().await.unwrap().expect("session id");
        Browser {
            client,
            driver,
            driver_url,
            session,
            http,
            base: base.to_string(),
            _profile: TempDir(profile),
        }
    }

    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.no_console_errors(path).await;
    }

    /// The browser's console since the last call: nothing at error level. CSP violations
    /// and failed loads (a missing asset, a 4xx/5xx page) land here.
    pub async fn no_console_errors(&self, context: &str) {
        let res: Value = self
            .http
            .post(format!(
                "{}/session/{}/se/log",
                self.driver_url, self.session
            ))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries = res["value"].as_array().cloned().unwrap_or_default();
        let errors: Vec<_> = entries.iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(
            errors.is_empty(),
            "browser console errors at {context}: {errors:?}"
        );
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Click a submit button (the first matching), wait for the next page, check the console.
    pub async fn submit(&self, css: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        self.click_and_wait(el, css).await;
    }

    /// Click what leads to another page and wait until that page has replaced this one
    /// (the old document's root goes stale): a page posted back to the same URL looks alike.
    pub async fn click_and_wait(&self, el: fantoccini::elements::Element, context: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        el.click().await.unwrap();
        for _ in 0..400 {
            if old.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap();
        self.no_console_errors(context).await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn page_text(&self) -> String {
        self.text("main").await
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    pub async fn sign_in(&self, key: &str) {
        self.go("/console").await;
        assert_eq!(self.path().await, "/console/sign-in");
        self.fill("#signin-api_key", key).await;
        self.submit("form.card button[type=submit]").await;
        assert_eq!(self.path().await, "/console", "{}", self.page_text().await);
    }

    pub async fn sign_out(&self) {
        self.submit("header form[action='/console/sign-out'] button")
            .await;
        assert_eq!(self.path().await, "/console/sign-in");
    }

    /// The actions of every form that posts, on the current page.
    pub async fn post_actions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.client.find_all(Locator::Css("form")).await.unwrap() {
            if f.attr("method").await.unwrap().as_deref() == Some("post") {
                out.push(f.attr("action").await.unwrap().unwrap_or_default());
            }
        }
        out
    }

    pub async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("CONSOLE_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    pub async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}
