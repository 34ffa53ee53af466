//! The templates, embedded in the binary (`portico serve` reads no files for pages), and the
//! one minijinja environment that renders them. Names ending in `.html` are HTML-escaped.

use crate::web::assets;
use minijinja::{Environment, Value};
use std::sync::LazyLock;

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../web/templates/", $name)))),*]
    };
}

/// Every template, by name.
pub const TEMPLATES: &[(&str, &str)] = embed!(
    "base.html",
    "error.html",
    "partials/contact.html",
    "partials/form.html",
    "invite/form.html",
    "invite/done.html",
    "invite/unavailable.html",
    "register/form.html",
    "register/closed.html",
    "register/check_email.html",
    "register/done.html",
    "verify_email/confirm.html",
    "verify_email/done.html",
    "verify_email/invalid.html",
    "verify_email/resend.html",
    "verify_email/resent.html",
    "login/form.html",
    "login/choose.html",
    "login/blocked.html",
    "login/password.html",
    "login/mfa.html",
    "login/mfa_setup.html",
    "login/recovery_codes.html",
    "login/continue.html",
    "reset/request.html",
    "reset/sent.html",
    "reset/form.html",
    "reset/done.html",
    "forgot_username/request.html",
    "forgot_username/sent.html",
    "account/index.html",
    "account/logged_out.html",
    "account/password.html",
    "account/password_done.html",
    "account/two_step_password.html",
    "account/email.html",
    "account/email_sent.html",
    "confirm_email/confirm.html",
    "confirm_email/done.html",
    "oidc/choose_patient.html",
    "oidc/signed_out.html",
    "oidc/confirm_logout.html",
    "representative_consent/ask.html",
    "representative_consent/done.html",
    "representative_consent/invalid.html",
    "representative_consent/code.html",
);

/// Where the login page lives (`web::login`); pages link to it.
pub const LOGIN_URL: &str = "/login";

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()?,
    );
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    env.add_global("css_url", assets::stylesheet_url());
    env.add_global("login_url", LOGIN_URL);
    Ok(env)
}

static ENV: LazyLock<Result<Environment<'static>, minijinja::Error>> = LazyLock::new(environment);

/// Renders a template with a context.
pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let env = ENV.as_ref().map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    env.get_template(name)?.render(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = environment().unwrap();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
    }
}
