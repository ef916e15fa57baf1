//! The HTML pages of the identity worker. maud escapes every interpolated value.

use maud::{html, Markup, DOCTYPE};

/// The one message for every failed or throttled sign-in, whatever the cause.
pub const SIGN_IN_FAILED: &str =
    "Sign-in failed. Check your username and password, or try again in a few minutes.";
/// Shown when a form's CSRF token or origin does not check out.
pub const FORM_EXPIRED: &str =
    "This form has expired or was sent from another site. Please sign in again.";
/// Shown when a `redirect_url` is refused.
pub const BAD_RETURN_ADDRESS: &str =
    "This sign-in link points somewhere we cannot send you back to.";
/// Shown after signing out.
pub const SIGNED_OUT: &str = "You are signed out.";

/// Path of the stylesheet route.
pub const STYLESHEET_PATH: &str = "/identity-backend/static/identity.css";

/// The stylesheet, served from this worker so the CSP can forbid inline styles.
pub const STYLESHEET: &str = r#"
:root { color-scheme: light dark; --accent: #2b59c3; --bad: #b3261e; --line: #8884; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  display: flex; min-height: 100vh; align-items: center; justify-content: center;
  background: Canvas; color: CanvasText; }
main { width: 100%; max-width: 24rem; padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.lead { margin: 0 0 1.25rem; opacity: .8; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password] { width: 100%; padding: .6rem .7rem; font: inherit;
  border: 1px solid var(--line); border-radius: .4rem; background: Field; color: FieldText; }
button { margin-top: 1.25rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600;
  color: #fff; background: var(--accent); border: 0; border-radius: .4rem; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent);
  border: 1px solid var(--accent); }
.error { border-left: 4px solid var(--bad); padding: .5rem .75rem; margin: 1rem 0;
  background: #b3261e1a; }
.notice { border-left: 4px solid var(--accent); padding: .5rem .75rem; margin: 1rem 0;
  background: #2b59c31a; }
a { color: var(--accent); }
footer { margin-top: 2rem; font-size: .85rem; opacity: .7; }
"#;

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · aurorahours.com" }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                main { (body) footer { "aurorahours.com sign-in" } }
            }
        }
    }
}

/// What the sign-in form shows.
#[derive(Debug, Default)]
pub struct LoginForm<'a> {
    /// Display name of the service being entered, if any.
    pub service: Option<&'a str>,
    /// The validated return address, sent back with the form.
    pub redirect_url: Option<&'a str>,
    /// The username to keep in the field after a failure.
    pub username: &'a str,
    /// The CSRF token for the hidden field.
    pub csrf: &'a str,
    /// An error to show above the form.
    pub error: Option<&'a str>,
    /// A notice to show above the form (e.g. signed out).
    pub notice: Option<&'a str>,
}

/// The sign-in page.
pub fn login(form: &LoginForm<'_>) -> Markup {
    let lead = match form.service {
        Some(name) => format!("to continue to {name}"),
        None => "to aurorahours.com".to_string(),
    };
    layout(
        "Sign in",
        html! {
            h1 { "Sign in" }
            p.lead { (lead) }
            @if let Some(notice) = form.notice { p.notice role="status" { (notice) } }
            div #form-error role="alert" aria-live="polite" {
                @if let Some(error) = form.error { p.error { (error) } }
            }
            form method="post" action="/identity-backend/login" {
                input type="hidden" name="csrf_token" value=(form.csrf);
                @if let Some(url) = form.redirect_url {
                    input type="hidden" name="redirect_url" value=(url);
                }
                label for="username" { "Username" }
                input #username type="text" name="username" value=(form.username)
                    autocomplete="username" autocapitalize="none" spellcheck="false"
                    required autofocus[form.username.is_empty()];
                label for="password" { "Password" }
                input #password type="password" name="password"
                    autocomplete="current-password" required
                    autofocus[!form.username.is_empty()];
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The page for someone already signed in who came without a return address.
pub fn signed_in(username: &str, csrf: &str, services: &[(String, String)]) -> Markup {
    layout(
        "Signed in",
        html! {
            h1 { "Signed in" }
            p.lead { "You are signed in as " strong { (username) } "." }
            @if !services.is_empty() {
                p { "Continue to:" }
                ul { @for (name, url) in services { li { a href=(url) { (name) } } } }
            }
            (logout_form(csrf, None, "Sign out"))
        },
    )
}

/// The sign-out confirmation page.
pub fn confirm_logout(username: Option<&str>, csrf: &str, redirect_url: Option<&str>) -> Markup {
    layout(
        "Sign out",
        html! {
            h1 { "Sign out" }
            @match username {
                Some(name) => p.lead {
                    "Sign out " strong { (name) } " from every aurorahours.com service?"
                },
                None => p.lead { "Sign out from every aurorahours.com service?" },
            }
            (logout_form(csrf, redirect_url, "Sign out"))
        },
    )
}

fn logout_form(csrf: &str, redirect_url: Option<&str>, label: &str) -> Markup {
    html! {
        form method="post" action="/identity-backend/logout" {
            input type="hidden" name="csrf_token" value=(csrf);
            @if let Some(url) = redirect_url {
                input type="hidden" name="redirect_url" value=(url);
            }
            button.secondary type="submit" { (label) }
        }
    }
}

/// A page that explains a refusal and links somewhere safe.
pub fn problem(title: &str, message: &str, link: &str, link_text: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p.error role="alert" { (message) }
            p { a href=(link) { (link_text) } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_interpolated_is_escaped() {
        let page = login(&LoginForm {
            service: Some("<script>alert(1)</script>"),
            redirect_url: Some("https://a/\"><script>x</script>"),
            username: "\"><img src=x onerror=alert(1)>",
            csrf: "t",
            error: Some(SIGN_IN_FAILED),
            notice: None,
        })
        .into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("&quot;&gt;&lt;img"), "{page}");
    }

    #[test]
    fn the_form_has_labelled_fields_with_autocomplete() {
        let page = login(&LoginForm {
            csrf: "tok",
            ..LoginForm::default()
        })
        .into_string();
        assert!(page.contains(r#"<label for="username">"#));
        assert!(page.contains(r#"autocomplete="username""#));
        assert!(page.contains(r#"<label for="password">"#));
        assert!(page.contains(r#"autocomplete="current-password""#));
        assert!(page.contains(r#"name="csrf_token" value="tok""#));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn the_password_is_never_echoed() {
        let page = login(&LoginForm {
            username: "alice",
            csrf: "t",
            error: Some(SIGN_IN_FAILED),
            ..LoginForm::default()
        })
        .into_string();
        assert!(page.contains(r#"value="alice""#));
        assert!(!page.contains(r#"name="password" value"#));
    }
}
