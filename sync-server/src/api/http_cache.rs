//! HTTP caching of the public catalog: every successful `GET` under
//! `/api/v1/events` whose route is public gets a strong `ETag` (a hash of the bytes sent,
//! so of their encoding too), `Cache-Control: public, max-age=30, stale-while-revalidate=60`
//! unless the handler chose its own, and `Vary: Accept-Language, Accept-Encoding`. A
//! request whose `If-None-Match` names the current tag (a list, weak `W/` tags compared
//! weakly as RFC 9110 says for `If-None-Match`, or `*`) gets `304 Not Modified` without
//! a body.
//!
//! The layer sits outside compression, so a gzip and an identity answer carry different
//! tags, and after authorization, which marks public routes on the response: a route that
//! answers per caller is never marked `public`.

use super::authz::Permission;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The paths this layer looks after: the catalog and everything under it.
const PREFIX: &str = "/api/v1/events";
/// What browsers and proxies may do with a catalog answer.
pub const CACHE_CONTROL: &str = "public, max-age=30, stale-while-revalidate=60";
const VARY: &str = "Accept-Language, Accept-Encoding";
/// Larger answers are passed through untagged rather than held in memory.
const MAX_TAGGED_BYTES: usize = 4 * 1024 * 1024;

fn is_catalog(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The layer; see the module documentation.
pub async fn conditional(request: Request, next: Next) -> Response {
    // Not HEAD: its body is already gone, so its tag would not be the GET's.
    if request.method() != Method::GET || !is_catalog(request.uri().path()) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let lang = super::error::request_lang(request.headers());
    let response = next.run(request).await;
    if response.status() != StatusCode::OK
        || response.extensions().get::<Permission>() != Some(&Permission::Public)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "catalog answer could not be read for its ETag");
            return super::error::ApiError::internal().render(lang);
        }
    };
    let tag = etag(&bytes, &parts.headers);
    let headers = &mut parts.headers;
    headers.insert(header::ETAG, tag.clone());
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(CACHE_CONTROL));
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    if if_none_match.is_some_and(|v| matches(&v, &tag)) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
            header::DATE,
            header::EXPIRES,
        ] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong tag of the bytes and how they are encoded.
fn etag(bytes: &Bytes, headers: &HeaderMap) -> HeaderValue {
    let mut hash = Sha256::new();
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING) {
        hash.update(encoding.as_bytes());
    }
    hash.update([0]);
    hash.update(bytes);
    let digest = hash.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether an `If-None-Match` value names `tag`: `*`, or any listed tag equal to it when
/// both are taken as weak (the `W/` prefix ignored).
fn matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let Ok(tag) = tag.to_str() else { return false };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(tag);
    list.trim() == "*" || list.split(',').any(|candidate| opaque(candidate) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_a_star() {
        let tag = v("\"abc\"");
        assert!(matches(&v("\"abc\""), &tag));
        assert!(matches(&v("W/\"abc\""), &tag));
        assert!(matches(&v("\"x\", W/\"abc\" , \"y\""), &tag));
        assert!(matches(&v("*"), &tag));
        assert!(!matches(&v("\"abcd\""), &tag));
        assert!(!matches(&v("abc"), &tag));
        assert!(!matches(&v(""), &tag));
    }

    #[test]
    fn only_the_catalog_and_what_lies_under_it_is_tagged() {
        assert!(is_catalog("/api/v1/events"));
        assert!(is_catalog("/api/v1/events/search"));
        assert!(is_catalog(
            "/api/v1/events/0192b3c4-0000-7000-8000-000000000000"
        ));
        assert!(!is_catalog("/api/v1/eventsx"));
        assert!(!is_catalog("/api/v1/me"));
    }
}
