//! Markdown output.

#[derive(Default)]
pub struct Md {
    text: String,
}

impl Md {
    pub fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }
    pub fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        std::fs::write(path, &self.text)?;
        Ok(())
    }
}

/// Milliseconds with two decimals ("—" when there is no sample).
pub fn f2(v: f64) -> String {
    if v.is_nan() {
        "—".into()
    } else {
        format!("{v:.2}")
    }
}
