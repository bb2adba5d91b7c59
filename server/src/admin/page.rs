//! The admin page (server/admin/: HTML, CSS, JS, embedded in the binary so
//! that it needs no files and no CDN) and `/openapi.json` (server/admin/
//! openapi.json, written by hand; `server/tests/admin_api.rs` fails when a
//! route of the router is missing from it).

use axum::http::header;
use axum::response::IntoResponse;

/// The page.
pub const INDEX_HTML: &str = include_str!("../../admin/index.html");
/// Its script: charts, the users and channels browser, attribute editing.
pub const ADMIN_JS: &str = include_str!("../../admin/admin.js");
/// Its style.
pub const ADMIN_CSS: &str = include_str!("../../admin/admin.css");
/// The OpenAPI 3 description of every route.
pub const OPENAPI_JSON: &str = include_str!("../../admin/openapi.json");

/// Nothing of the page is cached: after an upgrade the browser gets the new one.
const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

/// `GET /admin`.
pub async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), NO_STORE], INDEX_HTML)
}

/// `GET /admin/admin.js`.
pub async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), NO_STORE], ADMIN_JS)
}

/// `GET /admin/admin.css`.
pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), NO_STORE], ADMIN_CSS)
}

/// `GET /openapi.json` (public: it holds no secret, and tools fetch it).
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_is_json_with_paths() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI_JSON).expect("openapi.json parses");
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert!(doc["paths"].as_object().unwrap().len() > 10);
    }
}
