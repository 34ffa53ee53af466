//! `JsonBody<T>`: a JSON request body whose schema comes from poem-openapi (`T: Type`) and
//! whose parsing comes from serde with the path of the offending field, so a wrong type or a
//! missing field is a 422 that names it (`recipient.email`), and a body that is not JSON at
//! all is a 400. Unknown fields are refused (`#[serde(deny_unknown_fields)]` on the types).

use crate::error::Error;
use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde::de::DeserializeOwned;

pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = body.take()?.into_bytes().await?;
        parse(&data).map(JsonBody).map_err(Into::into)
    }
}

impl<'a, T: Type + DeserializeOwned> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(ct) if Self::check_content_type(ct) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            _ => Err(Error::UnsupportedMediaType {
                expected: "application/json",
            }
            .into()),
        }
    }
}

/// Parses a body, classifying failures: not JSON → 400, wrong shape → 422 naming the field.
pub fn parse<T: DeserializeOwned>(data: &[u8]) -> Result<T, Error> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MalformedRequest(
            "A JSON request body is required.".into(),
        ));
    }
    // Syntax first, so that `[1,2` is "not JSON" rather than "wrong type at [0]".
    serde_json::from_slice::<serde::de::IgnoredAny>(data).map_err(|e| classify("", e))?;
    // Every request body in this API is an object.
    if data.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::invalid("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        classify(&path, e.into_inner())
    })?;
    de.end().map_err(|e| classify("", e))?;
    Ok(value)
}

fn classify(path: &str, err: serde_json::Error) -> Error {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            Error::MalformedRequest(format!("The request body is not valid JSON: {err}"))
        }
        Category::Data => {
            let message = strip_position(&err.to_string());
            let parent = if path == "." || path.is_empty() {
                None
            } else {
                Some(path)
            };
            // serde names missing and unknown fields in the message, at the parent's path.
            for (marker, says) in [
                ("missing field `", "is required"),
                ("unknown field `", "is not a known field"),
            ] {
                if let Some(name) = between(&message, marker, "`") {
                    // serde_path_to_error already ends the path with an unknown field's name.
                    let field = match parent {
                        Some(p) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
                        Some(p) => format!("{p}.{name}"),
                        None => name.to_owned(),
                    };
                    return Error::invalid(field, says);
                }
            }
            Error::invalid(parent.unwrap_or("body"), message)
        }
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn between<'s>(s: &'s str, start: &str, end: &str) -> Option<&'s str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

/// For `#[serde(default, deserialize_with = "null_as_default")]` on an optional field that
/// has a default: the document calls it nullable (see `api::spec`), so `null` means the same
/// as leaving it out.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A JSON request body that may be left out entirely (`POST …/block` with no body): an
/// empty body is `None`; anything else is parsed exactly as [`JsonBody`] parses it.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<'a, T: Type + DeserializeOwned> ApiExtractor<'a> for OptionalJsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <JsonBody<T> as Payload>::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let data = body.take()?.into_bytes().await?;
        if data.is_empty() {
            return Ok(Self(None));
        }
        match request.content_type() {
            Some(ct) if JsonBody::<T>::check_content_type(ct) => Ok(Self(Some(parse(&data)?))),
            _ => Err(Error::UnsupportedMediaType {
                expected: "application/json",
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Recipient {
        email: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        age: u32,
        recipient: Option<Recipient>,
    }

    fn field(e: Error) -> String {
        match e {
            Error::Validation { field, .. } => field,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = parse::<Body>(br#"{"name":"a","age":"x"}"#).unwrap_err();
        assert_eq!(field(e), "age");
    }

    #[test]
    fn missing_and_nested_fields_are_named() {
        assert_eq!(field(parse::<Body>(br#"{"age":1}"#).unwrap_err()), "name");
        let e = parse::<Body>(br#"{"name":"a","age":1,"recipient":{"email":5}}"#).unwrap_err();
        assert_eq!(field(e), "recipient.email");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = parse::<Body>(br#"{"name":"a","age":1,"role":"admin"}"#).unwrap_err();
        assert_eq!(field(e), "role");
    }

    #[test]
    fn syntax_errors_are_400() {
        assert_eq!(
            parse::<Body>(b"{nope").unwrap_err().code(),
            "malformed_request"
        );
        assert_eq!(parse::<Body>(b"").unwrap_err().code(), "malformed_request");
        assert_eq!(
            parse::<Body>(br#"{"name":"a","age":1} x"#)
                .unwrap_err()
                .code(),
            "malformed_request"
        );
    }
}
