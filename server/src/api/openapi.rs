//! The OpenAPI document's frame; the paths come from the route definitions themselves.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

pub fn base() -> OpenApi {
    let components = ComponentsBuilder::new()
        .security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("cubist_session"))))
        .security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()))
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Cubist API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "REST API of Cubist. Every operation lists the permission it needs in `x-permission`. \
                     Cookie-authenticated writes must echo the `cubist_csrf` cookie in `X-CSRF-Token`.",
                ))
                .build(),
        )
        .components(Some(components))
        .build()
}
