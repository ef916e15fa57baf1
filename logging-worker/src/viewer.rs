//! The log viewer: a server-rendered page (maud escapes every interpolated string).

use maud::{html, Markup, DOCTYPE};
use worker::url::form_urlencoded;
use worker::{Headers, Response};

use crate::auth::Caller;
use crate::config::Config;
use crate::cursor::Cursor;
use crate::entry::{Entry, Level};
use crate::error::AppError;
use crate::query::{Page, Query, RawParams, DEFAULT_LIMIT};
use crate::time;

pub const LOGS_PATH: &str = "/logging-backend/logs";
pub const CSS_PATH: &str = "/logging-backend/static/viewer.css";
/// Bump when the stylesheet changes, so browsers fetch the new one.
const CSS_VERSION: &str = "1";
const STYLESHEET: &str = include_str!("viewer.css");

/// No script at all, styles only from our own origin, no framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Seconds between reloads in live mode.
const LIVE_REFRESH_SECS: u32 = 5;
/// Messages longer than this (or with several lines) fold behind a summary.
const FOLD_MESSAGE_CHARS: usize = 240;
const SUMMARY_CHARS: usize = 160;

/// Everything a page shows.
#[derive(Debug)]
pub struct ViewerPage<'a> {
    config: &'a Config,
    caller: &'a Caller,
    raw: &'a RawParams,
    now: i64,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Problems(Vec<String>),
    Results {
        page: Page,
        paged: bool,
        anything_stored: bool,
    },
}

impl<'a> ViewerPage<'a> {
    pub fn error(
        config: &'a Config,
        caller: &'a Caller,
        raw: &'a RawParams,
        problems: Vec<String>,
        now: i64,
    ) -> Self {
        Self {
            config,
            caller,
            raw,
            now,
            body: Body::Problems(problems),
        }
    }

    pub fn results(
        config: &'a Config,
        caller: &'a Caller,
        raw: &'a RawParams,
        query: &Query,
        page: Page,
        anything_stored: bool,
        now: i64,
    ) -> Self {
        let body = Body::Results {
            page,
            paged: query.position.is_some(),
            anything_stored,
        };
        Self {
            config,
            caller,
            raw,
            now,
            body,
        }
    }
}

/// `/logging-backend/logs?<filters>[&name=value]`.
fn link(raw: &RawParams, extra: Option<(&str, String)>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in raw.pairs() {
        query.append_pair(name, &value);
    }
    if let Some((name, value)) = extra {
        query.append_pair(name, &value);
    }
    let query = query.finish();
    if query.is_empty() {
        LOGS_PATH.to_owned()
    } else {
        format!("{LOGS_PATH}?{query}")
    }
}

pub fn render(view: &ViewerPage<'_>) -> String {
    let live = view.raw.live && matches!(view.body, Body::Results { paged: false, .. });
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if live {
                    meta http-equiv="refresh" content=(LIVE_REFRESH_SECS);
                }
                title { "Logs · aurorahours" }
                link rel="stylesheet" href=(format!("{CSS_PATH}?v={CSS_VERSION}"));
            }
            body {
                (header(view))
                main {
                    (filter_form(view.raw))
                    @match &view.body {
                        Body::Problems(problems) => (problem_list(problems)),
                        Body::Results { page, paged, anything_stored } => {
                            (results(view, page, *paged, *anything_stored, live))
                        }
                    }
                }
            }
        }
    };
    markup.into_string()
}

fn header(view: &ViewerPage<'_>) -> Markup {
    let back = view.config.public_url(LOGS_PATH);
    let logout = Config::with_redirect(&view.config.logout_url, &back);
    html! {
        header.top {
            h1 { a href=(LOGS_PATH) { "Logs" } }
            p.who {
                "Signed in as " strong { (view.caller.sub) } " · "
                a href=(logout) { "Sign out" }
            }
        }
    }
}

fn filter_form(raw: &RawParams) -> Markup {
    let services = raw.services.join(", ");
    let level = Level::parse(&raw.level);
    html! {
        form.filters method="get" action=(LOGS_PATH) role="search" {
            label {
                "Services"
                input name="service" value=(services) placeholder="all (comma-separated)";
            }
            label {
                "Minimum level"
                select name="level" {
                    option value="" selected[level.is_none()] { "any" }
                    @for choice in Level::ALL {
                        option value=(choice.as_str()) selected[level == Some(choice)] {
                            (choice.as_str())
                        }
                    }
                }
            }
            label {
                "From"
                input name="from" value=(raw.from) placeholder="24h, 7d or 2026-04-20T10:00:00Z";
            }
            label {
                "To"
                input name="to" value=(raw.to) placeholder="now";
            }
            label {
                "Search messages"
                input type="search" name="q" value=(raw.q) placeholder="words";
            }
            label {
                "Request id"
                input name="request_id" value=(raw.request_id);
            }
            label {
                "Per page"
                input type="number" name="limit" min="1" max="1000" value=(raw.limit)
                    placeholder=(DEFAULT_LIMIT);
            }
            label.check {
                input type="checkbox" name="live" value="1" checked[raw.live];
                (format!("Live (reload every {LIVE_REFRESH_SECS} s)"))
            }
            div.actions {
                button type="submit" { "Apply" }
                a href=(LOGS_PATH) { "Clear" }
            }
        }
    }
}

fn problem_list(problems: &[String]) -> Markup {
    html! {
        section.problems role="alert" {
            h2 { "These filters cannot be used" }
            ul { @for problem in problems { li { (problem) } } }
        }
    }
}

fn results(
    view: &ViewerPage<'_>,
    page: &Page,
    paged: bool,
    anything_stored: bool,
    live: bool,
) -> Markup {
    let raw = view.raw;
    let export = link(raw, Some(("format", String::from("ndjson"))));
    html! {
        @if page.from_archive {
            p.notice {
                "Some of these entries come from the archive: entries older than "
                (view.config.retention_days) " days are kept in compressed files in R2."
            }
        }
        @if raw.live && paged {
            p.notice { "Live reload is paused while you look at older entries." }
        }
        @if page.entries.is_empty() {
            div.empty {
                @if !anything_stored {
                    p { "No log entries have been stored yet." }
                } @else if page.older.is_some() {
                    // A page cut short at an archive chunk it had no budget to read.
                    p { "Nothing in this stretch of time. Older entries may still match: "
                        "follow “Older →”." }
                } @else if paged {
                    p { "No more entries in this direction." }
                } @else if raw.has_filters() {
                    p {
                        "No entries match these filters. "
                        a href=(LOGS_PATH) { "Clear the filters" }
                    }
                } @else {
                    p { "No entries to show." }
                }
            }
        } @else {
            div.summary {
                span { (page.entries.len()) " entries, newest first" }
                @if live { span { "Live: reloading every " (LIVE_REFRESH_SECS) " s" } }
                a href=(export) { "Export all matching entries (NDJSON)" }
            }
            ol.entries {
                @for entry in &page.entries { (entry_item(entry, view.now)) }
            }
        }
        (pager(raw, page, paged))
    }
}

fn entry_item(entry: &Entry, now: i64) -> Markup {
    let level = entry.level.as_str();
    let class = format!("entry lvl-{level}");
    let level_class = format!("level lvl-{level}");
    let service_link = format!(
        "{LOGS_PATH}?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("service", &entry.service)
            .finish()
    );
    html! {
        li class=(class) {
            div.meta {
                span class=(level_class) { (level.to_ascii_uppercase()) }
                time datetime=(time::format_rfc3339(entry.ts)) { (time::format_human(entry.ts)) }
                span.age { (time::relative_age(entry.ts, now)) }
                a.service href=(service_link) { (entry.service) }
                @if let Some(request_id) = &entry.request_id {
                    @let href = format!(
                        "{LOGS_PATH}?{}",
                        form_urlencoded::Serializer::new(String::new())
                            .append_pair("request_id", request_id)
                            .finish()
                    );
                    a.request href=(href) title="All entries of this request" {
                        "request " (request_id)
                    }
                }
                @if entry.archived { span.badge { "archived" } }
            }
            (message(&entry.message))
            @if let Some(fields) = &entry.fields {
                @let count = fields.as_object().map_or(0, |object| object.len());
                details.fields {
                    summary { "fields (" (count) ")" }
                    pre { (serde_json::to_string_pretty(fields).unwrap_or_default()) }
                }
            }
        }
    }
}

fn message(text: &str) -> Markup {
    let first_line = text.lines().next().unwrap_or("");
    let folds = text.chars().count() > FOLD_MESSAGE_CHARS || text.contains('\n');
    html! {
        @if folds {
            details.message {
                summary { (first_line.chars().take(SUMMARY_CHARS).collect::<String>()) " …" }
                pre { (text) }
            }
        } @else {
            p.msg { (text) }
        }
    }
}

fn pager(raw: &RawParams, page: &Page, paged: bool) -> Markup {
    let cursor_link = |name: &str, cursor: Cursor| link(raw, Some((name, cursor.encode())));
    html! {
        nav.pager aria-label="Pages" {
            @if paged { a href=(link(raw, None)) { "Newest" } }
            @match (paged, page.newer) {
                (true, Some(cursor)) => {
                    a rel="prev" href=(cursor_link("after", cursor)) { "← Newer" }
                },
                _ => span { "← Newer" },
            }
            @match page.older {
                Some(cursor) => a rel="next" href=(cursor_link("cursor", cursor)) { "Older →" },
                None => span { "Older →" },
            }
        }
    }
}

fn security_headers(content_type: &str) -> worker::Result<Headers> {
    let headers = Headers::new();
    headers.set("Content-Type", content_type)?;
    headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY)?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(headers)
}

pub fn html_response(status: u16, html: &str) -> Result<Response, AppError> {
    let headers = security_headers("text/html; charset=utf-8")?;
    Ok(Response::ok(html)?
        .with_status(status)
        .with_headers(headers))
}

/// `GET /logging-backend/static/viewer.css`: public, and cached for a day.
pub fn stylesheet() -> Result<Response, AppError> {
    let headers = Headers::new();
    headers.set("Content-Type", "text/css; charset=utf-8")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Cache-Control", "public, max-age=86400")?;
    Ok(Response::ok(STYLESHEET)?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aurora_auth::SubjectKind;
    use serde_json::json;

    const NOW: i64 = 1_776_679_200_000;

    fn config() -> Config {
        let vars = [
            ("ISSUER", "iss"),
            ("AUDIENCE", "logging-service"),
            ("PUBLIC_ORIGIN", "https://aurorahours.com"),
            (
                "LOGIN_URL",
                "https://aurorahours.com/identity-backend/login",
            ),
            (
                "LOGOUT_URL",
                "https://aurorahours.com/identity-backend/logout",
            ),
            ("TOKEN_COOKIE", "logging_token"),
            ("RETENTION_DAYS", "7"),
            ("ARCHIVE_RETENTION_DAYS", "90"),
        ];
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    fn hostile(id: i64) -> Entry {
        Entry {
            id,
            ts: NOW - 5 * time::MINUTE_MS,
            service: "<svc>".into(),
            level: Level::Error,
            message: "<script>alert(1)</script> & \"quotes\"".into(),
            fields: Some(json!({"html": "<img src=x onerror=alert(2)>"})),
            request_id: Some("\"><script>x</script>".into()),
            archived: true,
        }
    }

    fn render_page(entries: Vec<Entry>, raw: RawParams) -> String {
        let config = config();
        let caller = Caller {
            sub: "<b>ann</b>".into(),
            kind: SubjectKind::User,
        };
        let query = Query {
            filters: Default::default(),
            limit: 100,
            position: None,
            format: None,
        };
        let page = Page {
            from_archive: entries.iter().any(|e| e.archived),
            entries,
            next: Some(Cursor { ts: 1, id: 2 }),
            older: Some(Cursor { ts: 1, id: 2 }),
            newer: None,
        };
        render(&ViewerPage::results(
            &config, &caller, &raw, &query, page, true, NOW,
        ))
    }

    #[test]
    fn data_from_entries_tokens_and_filters_is_escaped() {
        let raw = RawParams {
            q: "\"><script>q</script>".into(),
            ..RawParams::default()
        };
        let html = render_page(vec![hostile(1)], raw);
        assert_eq!(html.matches("<script").count(), 0, "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(html.contains("&lt;b&gt;ann&lt;/b&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;q&lt;/script&gt;\""));
        assert!(!html.contains("<img"));
    }

    #[test]
    fn the_page_shows_level_by_word_time_age_and_archive() {
        let html = render_page(vec![hostile(1)], RawParams::default());
        assert!(html.contains("class=\"entry lvl-error\""));
        assert!(html.contains(">ERROR<"));
        assert!(html.contains("2026-04-20 09:55:00.000 UTC"));
        assert!(html.contains("5 min ago"));
        assert!(html.contains("come from the archive"));
        assert!(html.contains("rel=\"next\""));
        assert!(html.contains(
            "https://aurorahours.com/identity-backend/logout?redirect_url=\
             https%3A%2F%2Faurorahours.com%2Flogging-backend%2Flogs"
        ));
    }

    #[test]
    fn long_messages_fold_and_live_mode_refreshes() {
        let mut long = hostile(1);
        long.message = format!("first line\n{}", "x".repeat(500));
        let raw = RawParams {
            live: true,
            ..RawParams::default()
        };
        let html = render_page(vec![long], raw);
        assert!(html.contains("<details class=\"message\"><summary>first line …</summary>"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    }

    #[test]
    fn links_keep_the_filters() {
        let raw = RawParams {
            services: vec!["a b".into()],
            level: "warn".into(),
            q: "x&y".into(),
            ..RawParams::default()
        };
        assert_eq!(
            link(&raw, Some(("cursor", "abc".into()))),
            "/logging-backend/logs?service=a+b&level=warn&q=x%26y&cursor=abc"
        );
        assert_eq!(link(&RawParams::default(), None), LOGS_PATH);
    }
}
