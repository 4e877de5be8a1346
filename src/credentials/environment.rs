//! Credentials from environment variables.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{Credentials, CredentialsError, ProvideCredentials};

const PROVIDER: &str = "environment";

/// Where environment variables are read from: the process, or a map (for tests).
#[derive(Clone, Default)]
pub struct EnvironmentSource {
    vars: Option<Arc<HashMap<String, String>>>,
}

impl fmt::Debug for EnvironmentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("EnvironmentSource::Process"),
            Some(v) => write!(f, "EnvironmentSource::Map({} variables)", v.len()),
        }
    }
}

impl EnvironmentSource {
    /// The real process environment.
    pub fn process() -> Self {
        Self { vars: None }
    }

    /// A fixed set of variables, for tests.
    pub fn from_map<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let v = match &self.vars {
            None => std::env::var(name).ok(),
            Some(map) => map.get(name).cloned(),
        };
        v.filter(|v| !v.is_empty())
    }
}

/// Reads `OSS_ACCESS_KEY_ID` / `OSS_ACCESS_KEY_SECRET` / `OSS_SESSION_TOKEN`, else
/// `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` /
/// `ALIBABA_CLOUD_SECURITY_TOKEN`.
///
/// When neither family is set, answers [`CredentialsError::NotConfigured`] naming the variables
/// it looked for; when only half of a pair is set, that is a real failure.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentCredentialsProvider {
    env: EnvironmentSource,
}

const FAMILIES: [[&str; 3]; 2] = [
    [
        "OSS_ACCESS_KEY_ID",
        "OSS_ACCESS_KEY_SECRET",
        "OSS_SESSION_TOKEN",
    ],
    [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ],
];

impl EnvironmentCredentialsProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads from `env` instead of the process environment.
    pub fn with_source(env: EnvironmentSource) -> Self {
        Self { env }
    }

    /// Resolves credentials now, synchronously.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::NotConfigured`] when no AccessKey variables are set;
    /// `ProviderFailed` when they are set but invalid (an empty secret, a token without a key).
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        for [id_var, secret_var, token_var] in FAMILIES {
            let id = self.env.get(id_var);
            let secret = self.env.get(secret_var);
            match (id, secret) {
                (None, None) => continue,
                (Some(id), Some(secret)) => {
                    return Credentials::builder()
                        .access_key_id(id)
                        .access_key_secret(secret)
                        .maybe_security_token(self.env.get(token_var))
                        .provider_name(PROVIDER)
                        .build()
                        .map_err(|e| CredentialsError::failed(PROVIDER, e.to_string()));
                }
                (Some(_), None) => {
                    return Err(CredentialsError::failed(
                        PROVIDER,
                        format!("{id_var} is set but {secret_var} is not"),
                    ))
                }
                (None, Some(_)) => {
                    return Err(CredentialsError::failed(
                        PROVIDER,
                        format!("{secret_var} is set but {id_var} is not"),
                    ))
                }
            }
        }
        Err(CredentialsError::not_configured(
            PROVIDER,
            "none of OSS_ACCESS_KEY_ID + OSS_ACCESS_KEY_SECRET (+ OSS_SESSION_TOKEN) or \
             ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET \
             (+ ALIBABA_CLOUD_SECURITY_TOKEN) is set",
        ))
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for EnvironmentCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oss_family_wins_and_token_is_optional() {
        let p = EnvironmentCredentialsProvider::with_source(EnvironmentSource::from_map([
            ("OSS_ACCESS_KEY_ID", "oss-id"),
            ("OSS_ACCESS_KEY_SECRET", "oss-secret"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ali-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ali-secret"),
        ]));
        let c = p.credentials().unwrap();
        assert_eq!(c.access_key_id(), "oss-id");
        assert_eq!(c.security_token(), None);
    }

    #[test]
    fn alibaba_family_with_token() {
        let p = EnvironmentCredentialsProvider::with_source(EnvironmentSource::from_map([
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.ali-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ali-secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok"),
        ]));
        let c = p.credentials().unwrap();
        assert_eq!(c.access_key_id(), "STS.ali-id");
        assert_eq!(c.security_token(), Some("tok"));
    }

    #[test]
    fn nothing_set_names_the_variables() {
        let p = EnvironmentCredentialsProvider::with_source(EnvironmentSource::from_map(Vec::<(
            String,
            String,
        )>::new(
        )));
        let e = p.credentials().unwrap_err();
        assert!(e.is_not_configured());
        let msg = e.to_string();
        for v in [
            "OSS_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "OSS_SESSION_TOKEN",
        ] {
            assert!(msg.contains(v), "{msg}");
        }
    }

    #[test]
    fn half_a_pair_is_a_failure_not_absence() {
        let p = EnvironmentCredentialsProvider::with_source(EnvironmentSource::from_map([(
            "OSS_ACCESS_KEY_ID",
            "id",
        )]));
        let e = p.credentials().unwrap_err();
        assert!(!e.is_not_configured());
        assert!(e.to_string().contains("OSS_ACCESS_KEY_SECRET"));
    }
}
