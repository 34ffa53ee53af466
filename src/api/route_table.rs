//! Mounting routes outside the OpenAPI document so that what is mounted is also what is
//! known: the `Allow` header of a 405 and the pages' HTML errors read the table this builds,
//! not a list kept next to it by hand (which drifts the day a route is added).

use crate::api::edge::labelled;
use poem::http::Method;
use poem::{Endpoint, IntoEndpoint, Route, RouteMethod};

/// One route as mounted: its template as the OpenAPI document writes it (`/invite/{token}`)
/// and the methods it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    pub template: String,
    pub methods: Vec<&'static str>,
}

/// The endpoints of one path, by method, and the methods' names.
pub struct Methods {
    endpoint: RouteMethod,
    names: Vec<&'static str>,
}

/// A path answering `GET`.
pub fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::none().get(ep)
}

/// A path answering `POST`.
pub fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::none().post(ep)
}

impl Methods {
    fn none() -> Self {
        Self {
            endpoint: RouteMethod::new(),
            names: Vec::new(),
        }
    }

    /// Also answers `GET`.
    #[must_use]
    pub fn get<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::GET, "GET", ep)
    }

    /// Also answers `POST`.
    #[must_use]
    pub fn post<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::POST, "POST", ep)
    }

    fn method<E>(mut self, method: Method, name: &'static str, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.endpoint = self.endpoint.method(method, ep);
        self.names.push(name);
        self
    }
}

/// A [`Route`] being mounted, and the table of what has been mounted on it so far.
pub struct RouteTable {
    route: Route,
    mounted: Vec<Mounted>,
}

impl RouteTable {
    /// Goes on mounting onto `route` (whatever it already holds is not in the table).
    pub fn new(route: Route) -> Self {
        Self {
            route,
            mounted: Vec::new(),
        }
    }

    /// Mounts `methods` at `path` (poem's syntax, `/invite/:token`), named `label` in metrics
    /// and logs.
    #[must_use]
    pub fn at(mut self, path: &str, label: &'static str, methods: Methods) -> Self {
        self.mounted.push(Mounted {
            template: template(path),
            methods: methods.names,
        });
        self.route = self.route.at(path, labelled(label, methods.endpoint));
        self
    }

    /// Mounts an endpoint that answers every method itself (`Allow` then names none).
    #[must_use]
    pub fn nest<E>(mut self, path: &str, label: &'static str, ep: E) -> Self
    where
        E: Endpoint + 'static,
    {
        self.route = self.route.nest(path, labelled(label, ep));
        self
    }

    /// The route, and what was mounted on it.
    pub fn into_parts(self) -> (Route, Vec<Mounted>) {
        (self.route, self.mounted)
    }
}

/// `/invite/:token` as the OpenAPI document writes it: `/invite/{token}`.
fn template(path: &str) -> String {
    path.split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::handler;

    #[handler]
    fn nothing() {}

    #[test]
    fn the_table_lists_what_was_mounted_with_its_methods() {
        let (_, mounted) = RouteTable::new(Route::new())
            .at("/invite/:token", "a", get(nothing).post(nothing))
            .at("/logout", "b", post(nothing))
            .into_parts();
        assert_eq!(
            mounted,
            [
                Mounted {
                    template: "/invite/{token}".into(),
                    methods: vec!["GET", "POST"],
                },
                Mounted {
                    template: "/logout".into(),
                    methods: vec!["POST"],
                },
            ]
        );
    }
}
