//! The REST API's HTTP Basic credentials of an app, as `[[apps]]` in the
//! config file gives them (`customer_key`, `customer_secret`): Agora's
//! "Customer ID" and "Customer Secret". Kept apart from `config` so that the
//! rules of a pair live with the API that checks it; this file uses nothing
//! of the crate, so `config` may use it.

/// One app's HTTP Basic credentials for the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestCredentials {
    /// The user name (Agora's "Customer ID").
    pub key: String,
    /// The password (Agora's "Customer Secret").
    pub secret: String,
}

/// The pair of app `app`: both or neither given. A key must be non-empty
/// without `:` (Basic puts `key:secret` in one string), a secret non-empty.
pub fn pair(app: &str, key: Option<&str>, secret: Option<&str>) -> anyhow::Result<Option<RestCredentials>> {
    match (key, secret) {
        (Some(key), Some(secret)) => {
            anyhow::ensure!(
                !key.is_empty() && !secret.is_empty() && !key.contains(':'),
                "config: app {app:?} needs a non-empty customer_key without ':' and a non-empty customer_secret"
            );
            Ok(Some(RestCredentials { key: key.to_owned(), secret: secret.to_owned() }))
        }
        (None, None) => Ok(None),
        _ => anyhow::bail!("config: app {app:?} needs both customer_key and customer_secret (or neither)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_or_neither_and_well_formed() {
        let got = pair("a", Some("k"), Some("s")).unwrap();
        assert_eq!(got, Some(RestCredentials { key: "k".into(), secret: "s".into() }));
        assert_eq!(pair("a", None, None).unwrap(), None);
        for (key, secret) in [
            (Some("k"), None),
            (None, Some("s")),
            (Some(""), Some("s")),
            (Some("k"), Some("")),
            (Some("k:x"), Some("s")),
        ] {
            let err = pair("a", key, secret).unwrap_err().to_string();
            assert!(err.contains("customer_key"), "{key:?} {secret:?}: {err}");
        }
    }

    #[test]
    fn the_config_file_refuses_a_half_pair() {
        use crate::config::FileConfig;
        assert!(FileConfig::parse("[[apps]]\nid = \"a\"\ncustomer_key = \"k\"\n").is_err());
        assert!(FileConfig::parse("[[apps]]\nid = \"a\"\ncustomer_secret = \"s\"\n").is_err());
        let file = FileConfig::parse("[[apps]]\nid = \"a\"\ncustomer_key = \"k\"\ncustomer_secret = \"s\"\n")
            .unwrap();
        assert_eq!(file.apps[0].rest_credentials().unwrap().map(|c| c.key), Some("k".into()));
    }
}
