//! `interview-gateway health`: the container health check. Slim images carry no curl, and
//! the gateway binary already speaks HTTP.

use std::time::Duration;

/// `Ok` when `url` answers 200 within 5 s.
pub async fn probe(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let res = client
        .get(url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {}", e.without_url()))?;
    let status = res.status();
    if status.is_success() {
        Ok(())
    } else {
        let body = res.text().await.unwrap_or_default();
        anyhow::bail!(
            "{url} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        )
    }
}
