//! Checks of text the simulated vendors share.

/// What the vendors that check an email address at all accept: something@domain.tld, no
/// spaces. Deliberately loose: the vendors' docs promise no more.
pub fn plausible_email(e: &str) -> bool {
    let Some((user, domain)) = e.split_once('@') else {
        return false;
    };
    !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !e.contains(' ')
}
