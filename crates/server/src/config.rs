//! Configuration from environment variables (a `.env` file is read first by `main`; real
//! variables win). Every invalid value is reported at once, each naming its variable.
//!
//! | variable | default |
//! |---|---|
//! | `DATABASE_URL` | `postgres://postgres@localhost:5432/tickets` |
//! | `SERVICE_NAME` | `ticket-service` |
//! | `LOG_LEVEL` | `INFO` (`TRACE`, `DEBUG`, `INFO`, `WARNING`/`WARN`, `ERROR`, `CRITICAL`) |
//! | `LOG_FORMAT` | `text` (`json` for one JSON object per line) |
//! | `HOST`, `PORT` | `0.0.0.0`, `8000` |
//! | `HTTP_WORKERS` | one per CPU core: HTTP worker threads |
//! | `DATABASE_POOL_SIZE` | 4 per CPU core, at least 8, at most 64, split between the HTTP workers (plus 3 for background work) |
//! | `DATABASE_POOL_TIMEOUT` | `2s`: wait for a free connection before answering 503 |
//! | `DATABASE_CONNECT_TIMEOUT` | `3s` |
//! | `SLA_<SEVERITY>_FIRST_RESPONSE`, `SLA_<SEVERITY>_RESOLUTION` | the SLA table |
//! | `SLA_CHECK_INTERVAL` | `30s` |
//! | `SLA_WARNING_PERCENT` | `80`: share of a target (1 to 99 %) after which `sla_warning` goes out |
//! | `TIMER_POLL_INTERVAL` | `1s`: how often due timers (hold ends, SLA warnings) are looked for |
//! | `NOTIFICATION_URL`, `NOTIFICATION_SECRET` | unset |
//! | `NOTIFICATION_POLL_INTERVAL` | `1s`: between rounds that found nothing to deliver |
//! | `NOTIFICATION_MAX_ATTEMPTS` | `10` (back-off 1s, doubling, at most 5m apart) |
//! | `NOTIFICATION_BATCH_SIZE` | `50`: events of one ticket delivered per dispatch round, one after another |
//! | `NOTIFICATION_RETENTION` | `7d`: how long `sent` events are kept after delivery; `off` keeps them forever |
//! | `AUTH_MODE` | `header` (the gateway's identity headers, trusted) or `jwt` (bearer tokens, verified) |
//! | `AUTH_JWKS_URL` or `AUTH_JWKS_FILE` | jwt: the identity provider's keys (`http://` URL, or a file read at start-up) |
//! | `AUTH_ISSUER`, `AUTH_AUDIENCE` | jwt: the accepted `iss` and `aud` (required) |
//! | `AUTH_ORG_CLAIM`, `AUTH_ROLES_CLAIM` | jwt: `org_id`, `roles` |
//!
//! Durations are written `90s`, `5m`, `4h`, `7d` (or combined, `1h 30m`).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::TimeDelta;
use ticket_domain::{RetryPolicy, Severity, SlaPolicy};
use ticket_http::inbound::jwt::{DEFAULT_ORG_CLAIM, DEFAULT_ROLES_CLAIM};
use ticket_http::{AuthMode, FetchPolicy, JwtSettings, KeySource};
use ticket_persistence::PoolSettings;

use crate::telemetry::LogFormat;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub service_name: String,
    pub log_level: tracing::Level,
    pub log_format: LogFormat,
    pub host: IpAddr,
    pub port: u16,
    pub pool: PoolSettings,
    pub sla: SlaPolicy,
    pub sla_check_interval: Duration,
    /// How often due timers are looked for.
    pub timer_poll_interval: Duration,
    pub notification_url: Option<String>,
    pub notification_secret: Option<String>,
    /// How often due notifications are looked for while none are found.
    pub notification_poll_interval: Duration,
    /// Back-off and attempts of notification delivery.
    pub notification_retry: RetryPolicy,
    /// Events of one ticket a dispatch round claims and delivers in order.
    pub notification_batch_size: i64,
    /// How long `sent` events are kept after their delivery; `None` (`off`) keeps them.
    pub notification_retention: Option<Duration>,
    /// How often delivered events past the retention are looked for. Not read from the
    /// environment: [`PURGE_INTERVAL`].
    pub notification_purge_interval: Duration,
    /// HTTP worker threads (`HTTP_WORKERS`); `None` is one per core.
    pub workers: Option<usize>,
    /// How callers are authenticated (`AUTH_*`).
    pub auth: AuthMode,
}

/// One variable with an invalid value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// All invalid variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// How often each instance deletes delivered events past `NOTIFICATION_RETENTION`. Rows
/// therefore stay at most this much longer than the retention; a round deletes in batches
/// until none is left, so a shorter interval would only mean more, smaller rounds.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// Events of one ticket per dispatch round unless `NOTIFICATION_BATCH_SIZE` says otherwise.
/// Rounds follow each other at once while there is work, so this only sets how often a
/// long backlog is claimed again (a 500-event one in ten rounds), against how long one
/// ticket's batch holds its round (the next round waits for every ticket of this one).
pub const DEFAULT_BATCH_SIZE: i64 = 50;

/// Parses `NOTIFICATION_BATCH_SIZE`: 1 to 1,000 events, which bounds one claim's `UPDATE`
/// (up to 50 tickets of this many events each).
fn parse_batch_size(raw: &str) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err("must be a whole number from 1 to 1000".to_owned()),
    }
}

/// Parses `NOTIFICATION_RETENTION`: a duration, or `off` (any case) for no purging. Zero is
/// refused rather than read as "off" or as "delete at once".
pub fn parse_retention(raw: &str) -> Result<Option<Duration>, String> {
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    parse_duration(raw)
        .map(Some)
        .map_err(|e| format!("{e}, or off to keep delivered events"))
}

/// Parses a duration like `90s`, `5m`, `4h`, `7d`; zero is refused.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(raw.trim())
        .map_err(|e| format!("{e}; expected a duration like 90s, 5m, 4h or 7d"))?;
    if d.is_zero() {
        return Err("must be greater than zero".to_owned());
    }
    Ok(d)
}

fn parse_level(raw: &str) -> Result<tracing::Level, String> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" => Ok(tracing::Level::TRACE),
        "DEBUG" => Ok(tracing::Level::DEBUG),
        "INFO" => Ok(tracing::Level::INFO),
        "WARN" | "WARNING" => Ok(tracing::Level::WARN),
        "ERROR" | "CRITICAL" => Ok(tracing::Level::ERROR),
        _ => Err("must be one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL".to_owned()),
    }
}

/// The `AUTH_*` variables as set (blank counts as unset).
#[derive(Debug, Default)]
struct AuthVariables {
    /// `None` when `AUTH_MODE` is invalid (already reported).
    jwt: Option<bool>,
    jwks_url: Option<String>,
    jwks_file: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
    org_claim: Option<String>,
    roles_claim: Option<String>,
}

/// The authentication mode, recording each missing or stray variable in `errors`. The
/// variables of JWT mode are refused in header mode: a deployment that sets a key source
/// but forgets `AUTH_MODE=jwt` would otherwise trust unverified headers without a word.
fn auth_mode(vars: AuthVariables, errors: &mut Vec<ConfigError>) -> AuthMode {
    let mut error = |variable: &str, message: &str| {
        errors.push(ConfigError {
            variable: variable.to_owned(),
            message: message.to_owned(),
        });
    };
    let Some(true) = vars.jwt else {
        if vars.jwt.is_some() {
            for (name, value) in [
                ("AUTH_JWKS_URL", &vars.jwks_url),
                ("AUTH_JWKS_FILE", &vars.jwks_file),
                ("AUTH_ISSUER", &vars.issuer),
                ("AUTH_AUDIENCE", &vars.audience),
                ("AUTH_ORG_CLAIM", &vars.org_claim),
                ("AUTH_ROLES_CLAIM", &vars.roles_claim),
            ] {
                if value.is_some() {
                    error(
                        name,
                        "is only read with AUTH_MODE=jwt, but the mode is header (the \
                         default): set AUTH_MODE=jwt, or unset it",
                    );
                }
            }
        }
        return AuthMode::Header;
    };
    let keys = match (vars.jwks_url, vars.jwks_file) {
        (Some(url), None) => Some(KeySource::Url {
            url: url.trim().to_owned(),
            fetch: FetchPolicy::default(),
        }),
        (None, Some(path)) => Some(KeySource::File(PathBuf::from(path.trim()))),
        (None, None) => {
            error(
                "AUTH_JWKS_URL",
                "AUTH_MODE=jwt needs the identity provider's keys: set AUTH_JWKS_URL or \
                 AUTH_JWKS_FILE",
            );
            None
        }
        (Some(_), Some(_)) => {
            error(
                "AUTH_JWKS_FILE",
                "set only one of AUTH_JWKS_URL and AUTH_JWKS_FILE",
            );
            None
        }
    };
    let mut required = |name: &str, value: Option<String>, what: &str| {
        if value.is_none() {
            error(name, &format!("AUTH_MODE=jwt needs {what}"));
        }
        value.map(|v| v.trim().to_owned())
    };
    let issuer = required(
        "AUTH_ISSUER",
        vars.issuer,
        "the issuer its tokens carry (iss)",
    );
    let audience = required(
        "AUTH_AUDIENCE",
        vars.audience,
        "the audience its tokens are for (aud)",
    );
    match (keys, issuer, audience) {
        (Some(keys), Some(issuer), Some(audience)) => AuthMode::Jwt(JwtSettings {
            keys,
            issuer,
            audience,
            org_claim: vars
                .org_claim
                .map_or_else(|| DEFAULT_ORG_CLAIM.to_owned(), |c| c.trim().to_owned()),
            roles_claim: vars
                .roles_claim
                .map_or_else(|| DEFAULT_ROLES_CLAIM.to_owned(), |c| c.trim().to_owned()),
        }),
        // Each missing part was recorded: the configuration is refused and this value
        // never used.
        _ => AuthMode::Header,
    }
}

fn default_pool_size() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (cores * 4).clamp(8, 64)
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut get = |name: &str, parse: &dyn Fn(&str) -> Result<(), String>| {
            let value = lookup(name).filter(|v| !v.trim().is_empty());
            if let Some(v) = &value
                && let Err(message) = parse(v)
            {
                errors.push(ConfigError {
                    variable: name.to_owned(),
                    message: format!("{message} (got {v:?})"),
                });
                return None;
            }
            value
        };
        let ok = |_: &str| Ok(());

        let database_url = get("DATABASE_URL", &|v| {
            if v.starts_with("postgres://") || v.starts_with("postgresql://") {
                Ok(())
            } else {
                Err("must be a postgres:// URL".to_owned())
            }
        })
        .unwrap_or_else(|| "postgres://postgres@localhost:5432/tickets".to_owned());
        let service_name = get("SERVICE_NAME", &ok).unwrap_or_else(|| "ticket-service".to_owned());
        let log_level = get("LOG_LEVEL", &|v| parse_level(v).map(drop))
            .and_then(|v| parse_level(&v).ok())
            .unwrap_or(tracing::Level::INFO);
        let log_format = match get(
            "LOG_FORMAT",
            &|v| match v.trim().to_ascii_lowercase().as_str() {
                "text" | "json" => Ok(()),
                _ => Err("must be text or json".to_owned()),
            },
        ) {
            Some(v) if v.trim().eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let host = get("HOST", &|v| {
            v.trim()
                .parse::<IpAddr>()
                .map(drop)
                .map_err(|_| "must be an IP address, e.g. 0.0.0.0".to_owned())
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let port = get("PORT", &|v| {
            v.trim()
                .parse::<u16>()
                .map(drop)
                .map_err(|_| "must be a port number, 0 to 65535".to_owned())
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(8000);
        let pool_size = get("DATABASE_POOL_SIZE", &|v| match v.trim().parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(()),
            _ => Err("must be a whole number from 1 to 1000".to_owned()),
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(default_pool_size);
        let workers = get("HTTP_WORKERS", &|v| match v.trim().parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => Ok(()),
            _ => Err("must be a whole number from 1 to 256".to_owned()),
        })
        .and_then(|v| v.trim().parse().ok());
        let mut duration = |name: &str, default: Duration| {
            get(name, &|v| parse_duration(v).map(drop))
                .and_then(|v| parse_duration(&v).ok())
                .unwrap_or(default)
        };
        let wait_timeout = duration("DATABASE_POOL_TIMEOUT", Duration::from_secs(2));
        let connect_timeout = duration("DATABASE_CONNECT_TIMEOUT", Duration::from_secs(3));
        let sla_check_interval = duration("SLA_CHECK_INTERVAL", Duration::from_secs(30));
        let notification_poll_interval =
            duration("NOTIFICATION_POLL_INTERVAL", Duration::from_secs(1));
        let timer_poll_interval = duration("TIMER_POLL_INTERVAL", Duration::from_secs(1));

        let mut sla = SlaPolicy::default();
        for &severity in Severity::ALL {
            let upper = severity.as_str().to_ascii_uppercase();
            let targets = sla.targets_mut(severity);
            for (suffix, slot) in [
                ("FIRST_RESPONSE", &mut targets.first_response),
                ("RESOLUTION", &mut targets.resolution),
            ] {
                let name = format!("SLA_{upper}_{suffix}");
                let default = slot.to_std().unwrap_or_default();
                let value = duration(&name, default);
                *slot = TimeDelta::from_std(value).unwrap_or(*slot);
            }
        }
        let percent = |v: &str| {
            let n = v
                .trim()
                .parse::<i64>()
                .map_err(|_| "must be a whole number from 1 to 99".to_owned())?;
            ticket_domain::sla::warn_percent(n, "SLA_WARNING_PERCENT").map_err(|e| e.message)
        };
        if let Some(Ok(p)) =
            get("SLA_WARNING_PERCENT", &|v| percent(v).map(drop)).map(|v| percent(&v))
        {
            // Checked by the same rule just above.
            let _ = sla.set_warn_percent(p);
        }

        // Deliveries go to an in-cluster service; the binary carries no TLS stack (see
        // docs/OPERATIONS.md for a TLS-terminating sidecar).
        let notification_url = get("NOTIFICATION_URL", &|v| {
            if v.starts_with("http://") {
                Ok(())
            } else {
                Err("must be an http:// URL (TLS is not supported)".to_owned())
            }
        });
        let notification_secret = get("NOTIFICATION_SECRET", &ok);
        let notification_max_attempts = get("NOTIFICATION_MAX_ATTEMPTS", &|v| match v
            .trim()
            .parse::<i32>()
        {
            Ok(n) if n >= 1 => Ok(()),
            _ => Err("must be a whole number of at least 1".to_owned()),
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(RetryPolicy::default().max_attempts);
        let notification_batch_size = get("NOTIFICATION_BATCH_SIZE", &|v| {
            parse_batch_size(v).map(drop)
        })
        .and_then(|v| parse_batch_size(&v).ok())
        .unwrap_or(DEFAULT_BATCH_SIZE);
        let notification_retention =
            match get("NOTIFICATION_RETENTION", &|v| parse_retention(v).map(drop)) {
                Some(v) => parse_retention(&v).unwrap_or(None),
                None => Some(Duration::from_secs(7 * 24 * 3600)),
            };

        // Invalid values are reported by `get`; `auth_mode` checks what is set at all, so
        // an invalid AUTH_JWKS_URL is not also reported as missing.
        get(
            "AUTH_MODE",
            &|v| match v.trim().to_ascii_lowercase().as_str() {
                "header" | "jwt" => Ok(()),
                _ => Err("must be header or jwt".to_owned()),
            },
        );
        // The client has no TLS, as for NOTIFICATION_URL.
        get("AUTH_JWKS_URL", &|v| {
            if v.trim().starts_with("http://") {
                Ok(())
            } else {
                Err("must be an http:// URL (TLS is not supported)".to_owned())
            }
        });
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let auth = AuthVariables {
            jwt: match set("AUTH_MODE").map(|m| m.trim().to_ascii_lowercase()) {
                None => Some(false),
                Some(mode) if mode == "jwt" => Some(true),
                Some(mode) if mode == "header" => Some(false),
                Some(_) => None,
            },
            jwks_url: set("AUTH_JWKS_URL"),
            jwks_file: set("AUTH_JWKS_FILE"),
            issuer: set("AUTH_ISSUER"),
            audience: set("AUTH_AUDIENCE"),
            org_claim: set("AUTH_ORG_CLAIM"),
            roles_claim: set("AUTH_ROLES_CLAIM"),
        };
        let auth = auth_mode(auth, &mut errors);

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Config {
            database_url,
            service_name,
            log_level,
            log_format,
            host,
            port,
            pool: PoolSettings {
                max_size: pool_size,
                wait_timeout,
                connect_timeout,
                // Each pool names its own (requests or background work).
                role: None,
            },
            sla,
            sla_check_interval,
            timer_poll_interval,
            notification_url,
            notification_secret,
            notification_poll_interval,
            notification_retry: RetryPolicy {
                max_attempts: notification_max_attempts,
                ..RetryPolicy::default()
            },
            notification_batch_size,
            notification_retention,
            notification_purge_interval: PURGE_INTERVAL,
            workers,
            auth,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_design() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "postgres://postgres@localhost:5432/tickets");
        assert_eq!(c.service_name, "ticket-service");
        assert_eq!(c.log_level, tracing::Level::INFO);
        assert_eq!(c.port, 8000);
        assert_eq!(c.host.to_string(), "0.0.0.0");
        assert_eq!(c.sla, SlaPolicy::default());
        assert_eq!(c.sla_check_interval, Duration::from_secs(30));
        assert!(c.pool.max_size >= 8);
    }

    #[test]
    fn sla_targets_are_read_per_severity() {
        let c = config(&[
            ("SLA_CRITICAL_FIRST_RESPONSE", "90s"),
            ("SLA_INFO_RESOLUTION", "7d"),
            ("SLA_LOW_FIRST_RESPONSE", "1h 30m"),
        ])
        .unwrap();
        assert_eq!(
            c.sla.targets(Severity::Critical).first_response,
            TimeDelta::seconds(90)
        );
        assert_eq!(c.sla.targets(Severity::Info).resolution, TimeDelta::days(7));
        assert_eq!(
            c.sla.targets(Severity::Low).first_response,
            TimeDelta::minutes(90)
        );
        assert_eq!(
            c.sla.targets(Severity::High),
            SlaPolicy::default().targets(Severity::High)
        );
    }

    #[test]
    fn the_warning_share_and_the_timer_interval_are_read() {
        let c = config(&[]).unwrap();
        assert_eq!(c.sla.warn_percent(), 80);
        assert_eq!(c.timer_poll_interval, Duration::from_secs(1));
        let c = config(&[
            ("SLA_WARNING_PERCENT", "50"),
            ("TIMER_POLL_INTERVAL", "250ms"),
        ])
        .unwrap();
        assert_eq!(c.sla.warn_percent(), 50);
        assert_eq!(c.timer_poll_interval, Duration::from_millis(250));
        for refused in ["0", "100", "80%", "-1"] {
            let errors = config(&[("SLA_WARNING_PERCENT", refused)]).unwrap_err();
            assert_eq!(variables_of(&errors), ["SLA_WARNING_PERCENT"], "{refused}");
        }
    }

    #[test]
    fn every_invalid_variable_is_named() {
        let errors = config(&[
            ("PORT", "eighty"),
            ("LOG_LEVEL", "LOUD"),
            ("SLA_HIGH_RESOLUTION", "soon"),
            ("SLA_CHECK_INTERVAL", "0s"),
            ("DATABASE_POOL_SIZE", "0"),
            ("HTTP_WORKERS", "none"),
            ("DATABASE_URL", "mysql://x"),
            ("HOST", "everywhere"),
            ("NOTIFICATION_URL", "ftp://x"),
            ("NOTIFICATION_BATCH_SIZE", "0"),
            ("AUTH_MODE", "ldap"),
            ("SLA_WARNING_PERCENT", "100"),
            ("TIMER_POLL_INTERVAL", "often"),
        ])
        .unwrap_err();
        let names: Vec<&str> = errors.0.iter().map(|e| e.variable.as_str()).collect();
        for expected in [
            "PORT",
            "LOG_LEVEL",
            "SLA_HIGH_RESOLUTION",
            "SLA_CHECK_INTERVAL",
            "DATABASE_POOL_SIZE",
            "HTTP_WORKERS",
            "DATABASE_URL",
            "HOST",
            "NOTIFICATION_URL",
            "NOTIFICATION_BATCH_SIZE",
            "AUTH_MODE",
            "SLA_WARNING_PERCENT",
            "TIMER_POLL_INTERVAL",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(errors.to_string().contains("SLA_HIGH_RESOLUTION"));
    }

    fn variables_of(errors: &ConfigErrors) -> Vec<&str> {
        errors.0.iter().map(|e| e.variable.as_str()).collect()
    }

    const JWT: [(&str, &str); 4] = [
        ("AUTH_MODE", "jwt"),
        (
            "AUTH_JWKS_URL",
            "http://idp:8080/realms/tickets/protocol/openid-connect/certs",
        ),
        ("AUTH_ISSUER", "http://idp:8080/realms/tickets"),
        ("AUTH_AUDIENCE", "ticket-service"),
    ];

    #[test]
    fn auth_defaults_to_header_mode() {
        assert_eq!(config(&[]).unwrap().auth, AuthMode::Header);
        for mode in ["header", " HEADER "] {
            let c = config(&[("AUTH_MODE", mode)]).unwrap();
            assert_eq!(c.auth, AuthMode::Header, "{mode:?}");
        }
    }

    #[test]
    fn jwt_mode_reads_its_variables() {
        let c = config(&JWT).unwrap();
        assert_eq!(
            c.auth,
            AuthMode::Jwt(JwtSettings {
                keys: KeySource::Url {
                    url: JWT[1].1.to_owned(),
                    fetch: FetchPolicy::default(),
                },
                issuer: JWT[2].1.to_owned(),
                audience: "ticket-service".to_owned(),
                org_claim: "org_id".to_owned(),
                roles_claim: "roles".to_owned(),
            })
        );
        let c = config(&[
            ("AUTH_MODE", "JWT"),
            ("AUTH_JWKS_FILE", "/etc/ticket/jwks.json"),
            ("AUTH_ISSUER", "https://idp.example"),
            ("AUTH_AUDIENCE", "tickets"),
            ("AUTH_ORG_CLAIM", "tenant"),
            ("AUTH_ROLES_CLAIM", "groups"),
        ])
        .unwrap();
        let AuthMode::Jwt(settings) = c.auth else {
            panic!("not jwt: {:?}", c.auth);
        };
        assert_eq!(
            settings.keys,
            KeySource::File(PathBuf::from("/etc/ticket/jwks.json"))
        );
        assert_eq!(
            (settings.org_claim.as_str(), settings.roles_claim.as_str()),
            ("tenant", "groups")
        );
    }

    #[test]
    fn jwt_mode_without_keys_issuer_or_audience_names_each() {
        let errors = config(&[("AUTH_MODE", "jwt")]).unwrap_err();
        assert_eq!(
            variables_of(&errors),
            ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE"]
        );
        assert!(errors.to_string().contains("AUTH_JWKS_FILE"), "{errors}");
        for missing in 1..JWT.len() {
            let mut vars = JWT.to_vec();
            let (name, _) = vars.remove(missing);
            let errors = config(&vars).unwrap_err();
            assert_eq!(variables_of(&errors), [name]);
        }
    }

    #[test]
    fn jwt_key_sources_are_one_http_url_or_one_file() {
        let mut both = JWT.to_vec();
        both.push(("AUTH_JWKS_FILE", "/etc/jwks.json"));
        assert_eq!(
            variables_of(&config(&both).unwrap_err()),
            ["AUTH_JWKS_FILE"]
        );
        let mut https = JWT.to_vec();
        https[1] = ("AUTH_JWKS_URL", "https://idp.example/certs");
        let errors = config(&https).unwrap_err();
        assert_eq!(variables_of(&errors), ["AUTH_JWKS_URL"]);
        assert!(errors.to_string().contains("http://"), "{errors}");
    }

    #[test]
    fn jwt_variables_without_jwt_mode_are_refused() {
        let errors = config(&JWT[1..]).unwrap_err();
        assert_eq!(
            variables_of(&errors),
            ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE"]
        );
        assert!(errors.to_string().contains("AUTH_MODE=jwt"), "{errors}");
        // A mistyped mode is reported once, not once per AUTH_* variable.
        let mut typo = JWT.to_vec();
        typo[0] = ("AUTH_MODE", "jtw");
        assert_eq!(variables_of(&config(&typo).unwrap_err()), ["AUTH_MODE"]);
    }

    #[test]
    fn notification_retention_defaults_to_seven_days() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.notification_retention,
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        assert_eq!(c.notification_purge_interval, Duration::from_secs(600));
        let blank = config(&[("NOTIFICATION_RETENTION", "  ")]).unwrap();
        assert_eq!(blank.notification_retention, c.notification_retention);
    }

    #[test]
    fn notification_retention_takes_a_duration() {
        for (raw, expected) in [
            ("90s", Duration::from_secs(90)),
            ("12h", Duration::from_secs(12 * 3600)),
            ("30d", Duration::from_secs(30 * 24 * 3600)),
            ("1h 30m", Duration::from_secs(5400)),
        ] {
            let c = config(&[("NOTIFICATION_RETENTION", raw)]).unwrap();
            assert_eq!(c.notification_retention, Some(expected), "{raw}");
        }
    }

    #[test]
    fn notification_retention_off_disables_purging() {
        for raw in ["off", "OFF", " Off "] {
            let c = config(&[("NOTIFICATION_RETENTION", raw)]).unwrap();
            assert_eq!(c.notification_retention, None, "{raw:?}");
        }
    }

    #[test]
    fn an_invalid_notification_retention_is_named() {
        for raw in ["forever", "0", "0s", "-1d", "7 days ago", "no"] {
            let errors = config(&[("NOTIFICATION_RETENTION", raw)]).unwrap_err();
            assert_eq!(errors.0.len(), 1, "{raw:?}: {errors}");
            assert_eq!(errors.0[0].variable, "NOTIFICATION_RETENTION");
            let shown = errors.to_string();
            assert!(
                shown.contains("NOTIFICATION_RETENTION") && shown.contains("or off"),
                "{shown}"
            );
        }
        let zero = config(&[("NOTIFICATION_RETENTION", "0")]).unwrap_err();
        assert!(
            zero.0[0].message.contains("greater than zero"),
            "{}",
            zero.0[0]
        );
    }

    #[test]
    fn notification_batch_size_is_read_within_bounds() {
        assert_eq!(config(&[]).unwrap().notification_batch_size, 50);
        for (raw, expected) in [("1", 1), (" 200 ", 200), ("1000", 1000)] {
            let c = config(&[("NOTIFICATION_BATCH_SIZE", raw)]).unwrap();
            assert_eq!(c.notification_batch_size, expected, "{raw:?}");
        }
        for raw in ["0", "1001", "-5", "ten", "2.5"] {
            let errors = config(&[("NOTIFICATION_BATCH_SIZE", raw)]).unwrap_err();
            assert_eq!(errors.0[0].variable, "NOTIFICATION_BATCH_SIZE", "{raw:?}");
        }
    }

    #[test]
    fn seed_log_levels_are_accepted() {
        for (raw, level) in [
            ("debug", tracing::Level::DEBUG),
            ("WARNING", tracing::Level::WARN),
            ("CRITICAL", tracing::Level::ERROR),
        ] {
            assert_eq!(config(&[("LOG_LEVEL", raw)]).unwrap().log_level, level);
        }
    }
}
