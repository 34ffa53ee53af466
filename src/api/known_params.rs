//! Unknown query parameters are refused with 400 `validation_failed` naming the parameter:
//! a filter the operation does not have (`?access_status=active` where it means nothing) must
//! not quietly return everything. The parameters each operation declares are read from the
//! published OpenAPI document (poem-openapi's own metadata), so every operation is covered
//! without a list kept by hand per handler.

use crate::error::Error;
use poem::{Endpoint, Middleware, Request};
use serde_json::Value;
use std::sync::Arc;

/// Each operation's path template, method and declared query parameters.
#[derive(Debug, Default)]
pub struct ParamIndex(Vec<Operation>);

#[derive(Debug)]
struct Operation {
    segments: Vec<String>,
    method: String,
    query: Vec<String>,
}

impl ParamIndex {
    pub fn from_spec(spec: &Value) -> Self {
        let mut ops = Vec::new();
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let query = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                ops.push(Operation {
                    segments: segments(path),
                    method: method.to_uppercase(),
                    query,
                });
            }
        }
        Self(ops)
    }

    /// The first query parameter the operation at `method path` does not declare. `None`
    /// when every one is declared, or when the document has no such operation (a 404 or 405
    /// follows) or the query string does not parse (poem reports it).
    pub fn unknown(&self, method: &str, path: &str, query: &str) -> Option<String> {
        let method = if method == "HEAD" { "GET" } else { method };
        let want = segments(path);
        // The router's choice first, whatever the method: a literal segment beats a parameter
        // (`/patients/export.csv` is not `/patients/{id}`), and a method that path does not
        // have is poem's 405, not ours to judge.
        let route = self
            .0
            .iter()
            .filter(|op| op.segments.len() == want.len())
            .filter_map(|op| {
                let mut literal = 0;
                for (t, w) in op.segments.iter().zip(&want) {
                    if t == w {
                        literal += 1;
                    } else if !t.starts_with('{') || w.is_empty() {
                        return None;
                    }
                }
                Some((literal, &op.segments))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, segments)| segments)?;
        let op = self
            .0
            .iter()
            .find(|op| &op.segments == route && op.method == method)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
        pairs
            .into_iter()
            .map(|(name, _)| name)
            .find(|name| !op.query.contains(name))
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The middleware, around the OpenAPI service.
pub struct KnownParams(pub Arc<ParamIndex>);

impl<E: Endpoint> Middleware<E> for KnownParams {
    type Output = KnownParamsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        KnownParamsEndpoint {
            inner,
            index: Arc::clone(&self.0),
        }
    }
}

pub struct KnownParamsEndpoint<E> {
    inner: E,
    index: Arc<ParamIndex>,
}

impl<E: Endpoint> Endpoint for KnownParamsEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let unknown = req.original_uri().query().and_then(|q| {
            self.index
                .unknown(req.method().as_str(), req.original_uri().path(), q)
        });
        if let Some(name) = unknown {
            return Err(Error::UnknownQueryParameter(name).into());
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index() -> ParamIndex {
        ParamIndex::from_spec(&json!({ "paths": {
            "/p/{id}": { "get": { "parameters": [{ "name": "id", "in": "path" }] },
                         "patch": {} },
            "/p/export.csv": { "get": { "parameters": [{ "name": "relation", "in": "query" }] } },
            "/p": { "get": { "parameters": [{ "name": "name", "in": "query" }] },
                    "post": {} }
        }}))
    }

    #[test]
    fn undeclared_query_parameters_are_named() {
        let idx = index();
        assert_eq!(idx.unknown("GET", "/p", "name=a"), None);
        assert_eq!(
            idx.unknown("GET", "/p", "name=a&status=x"),
            Some("status".into())
        );
        assert_eq!(idx.unknown("HEAD", "/p", "nam=a"), Some("nam".into()));
        assert_eq!(idx.unknown("POST", "/p", "name=a"), Some("name".into()));
        assert_eq!(idx.unknown("GET", "/p/export.csv", "relation=self"), None);
        assert_eq!(
            idx.unknown("GET", "/p/123", "relation=self"),
            Some("relation".into())
        );
        assert_eq!(idx.unknown("DELETE", "/p", "x=1"), None);
        assert_eq!(idx.unknown("GET", "/q", "x=1"), None);
    }
}
