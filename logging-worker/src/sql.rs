//! Statements assembled from fixed SQL text, with every value bound as a parameter.

use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Int(i64),
    Text(String),
}

impl Param {
    fn to_js(&self) -> JsValue {
        match self {
            // Every integer bound here (times in ms, ids, counts) is below 2^53.
            Self::Int(value) => JsValue::from_f64(*value as f64),
            Self::Text(value) => JsValue::from_str(value),
        }
    }
}

/// SQL text with `?` placeholders and their values, in order. Only `&'static str` can be
/// appended to the text, so no value can ever become SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Statement {
    pub fn new(sql: &'static str) -> Self {
        Self {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends fixed SQL text.
    pub fn push(&mut self, sql: &'static str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends fixed SQL text containing one `?` per value given.
    pub fn push_bound(&mut self, sql: &'static str, values: impl IntoIterator<Item = Param>) {
        self.sql.push_str(sql);
        self.params.extend(values);
    }

    pub fn prepare(&self, db: &D1Database) -> worker::Result<D1PreparedStatement> {
        let values: Vec<JsValue> = self.params.iter().map(Param::to_js).collect();
        db.prepare(self.sql.as_str()).bind(&values)
    }
}

/// A JSON array of strings, for `IN (SELECT value FROM json_each(?))`: one parameter for
/// any number of values.
pub fn json_list<T: serde::Serialize>(values: &[T]) -> Param {
    Param::Text(serde_json::to_string(values).unwrap_or_else(|_| String::from("[]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parameters_and_never_text() {
        let mut statement = Statement::new("SELECT 1 FROM t WHERE 1 = 1");
        statement.push_bound(" AND a = ?", [Param::Text("x'; DROP TABLE t; --".into())]);
        statement.push_bound(
            " AND b IN (SELECT value FROM json_each(?))",
            [json_list(&["a\"b"])],
        );
        assert_eq!(
            statement.sql,
            "SELECT 1 FROM t WHERE 1 = 1 AND a = ? AND b IN (SELECT value FROM json_each(?))"
        );
        assert_eq!(statement.params.len(), statement.sql.matches('?').count());
        assert_eq!(statement.params[1], Param::Text(r#"["a\"b"]"#.into()));
    }
}
