//! Structured JSON log lines for outcomes. Never pass a token, cookie or request body here.

use serde_json::Value;

/// Writes one JSON object as a log line (`console.log` in the Workers runtime).
pub fn event(line: Value) {
    emit(&line.to_string(), false);
}

/// Writes one JSON object as an error line (`console.error`).
pub fn error(line: Value) {
    emit(&line.to_string(), true);
}

#[cfg(target_arch = "wasm32")]
fn emit(text: &str, is_error: bool) {
    if is_error {
        worker::console_error!("{text}");
    } else {
        worker::console_log!("{text}");
    }
}

// Native builds run only the unit tests, where there is no `console`.
#[cfg(not(target_arch = "wasm32"))]
fn emit(text: &str, _is_error: bool) {
    eprintln!("{text}");
}
