//! Structured audit lines for every sign-in outcome. Never a password, token,
//! cookie or secret: only who, which service, what happened, and the request id.

use serde_json::{json, Map, Value};

/// One audit event, written as a JSON line to the worker's log.
#[derive(Debug)]
pub struct Audit<'a> {
    event: &'static str,
    outcome: &'static str,
    request_id: &'a str,
    fields: Map<String, Value>,
}

impl<'a> Audit<'a> {
    /// An event such as `login` with an outcome such as `success`.
    pub fn new(event: &'static str, outcome: &'static str, request_id: &'a str) -> Self {
        Self {
            event,
            outcome,
            request_id,
            fields: Map::new(),
        }
    }

    /// Adds a field. Callers pass names, audiences and reasons only.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// The JSON line.
    pub fn line(&self) -> String {
        let mut object = Map::new();
        object.insert("audit".into(), json!(self.event));
        object.insert("outcome".into(), json!(self.outcome));
        object.insert("request_id".into(), json!(self.request_id));
        for (k, v) in &self.fields {
            object.insert(k.clone(), v.clone());
        }
        Value::Object(object).to_string()
    }

    /// Writes the line to the worker's log.
    pub fn emit(self) {
        worker::console_log!("{}", self.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_the_fields() {
        let line = Audit::new("login", "failure", "ray-1")
            .with("user", "alice")
            .with("reason", "bad_credentials")
            .line();
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["audit"], "login");
        assert_eq!(value["outcome"], "failure");
        assert_eq!(value["request_id"], "ray-1");
        assert_eq!(value["user"], "alice");
        assert!(!line.contains('\n'));
    }
}
