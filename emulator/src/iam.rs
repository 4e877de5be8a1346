//! Identities: the account's root key, RAM users, roles, and the STS sessions issued for roles.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::authz::{self, CompiledPolicy, Conditions};
use crate::config::EmulatorConfig;

/// A RAM user.
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) user_id: String,
    pub(crate) access_key_id: String,
    pub(crate) secret: String,
    pub(crate) policies: Vec<CompiledPolicy>,
}

/// A RAM role.
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) role_id: String,
    pub(crate) max_session_duration: u64,
    pub(crate) policies: Vec<CompiledPolicy>,
    pub(crate) trusted_users: Vec<String>,
}

/// Temporary credentials issued by AssumeRole, bound to the role, session name, session policy
/// and expiry.
pub(crate) struct Session {
    pub(crate) access_key_id: String,
    pub(crate) secret: String,
    pub(crate) token: String,
    pub(crate) role: Arc<Role>,
    pub(crate) session_name: String,
    pub(crate) session_policy: Option<CompiledPolicy>,
    pub(crate) expiration: OffsetDateTime,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("role", &self.role.name)
            .field("session_name", &self.session_name)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Who signed a request.
#[derive(Clone)]
pub(crate) enum Principal {
    Root,
    User(Arc<User>),
    Session(Arc<Session>),
}

/// What an AccessKey id resolves to.
pub(crate) enum KeyOwner {
    Root,
    User(Arc<User>),
    Session(Arc<Session>),
}

impl KeyOwner {
    pub(crate) fn secret<'a>(&'a self, iam: &'a Iam) -> &'a str {
        match self {
            KeyOwner::Root => &iam.root_secret,
            KeyOwner::User(u) => &u.secret,
            KeyOwner::Session(s) => &s.secret,
        }
    }

    pub(crate) fn principal(&self) -> Principal {
        match self {
            KeyOwner::Root => Principal::Root,
            KeyOwner::User(u) => Principal::User(u.clone()),
            KeyOwner::Session(s) => Principal::Session(s.clone()),
        }
    }
}

/// The account's identities and live STS sessions.
pub(crate) struct Iam {
    pub(crate) account_id: String,
    root_key_id: String,
    root_secret: String,
    users: Vec<Arc<User>>,
    roles: Vec<Arc<Role>>,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    nonces: Mutex<HashMap<String, OffsetDateTime>>,
}

fn compile_all(docs: &[crate::authz::PolicyDocument]) -> Vec<CompiledPolicy> {
    docs.iter()
        .filter_map(|d| authz::compile(d.as_json()).ok())
        .collect()
}

impl Iam {
    pub(crate) fn new(cfg: &EmulatorConfig) -> Self {
        let users = cfg
            .users
            .iter()
            .map(|u| {
                Arc::new(User {
                    user_id: format!("2{:015}", md5_u64(&u.name) % 1_000_000_000_000_000),
                    name: u.name.clone(),
                    access_key_id: u.access_key_id.clone(),
                    secret: u.access_key_secret.clone(),
                    policies: compile_all(&u.policies),
                })
            })
            .collect();
        let roles = cfg
            .roles
            .iter()
            .map(|r| {
                let arn = cfg.role_arn(r);
                let digest = md5_u64(&arn);
                Arc::new(Role {
                    name: r.name.clone(),
                    role_id: format!("3{:017}", digest % 100_000_000_000_000_000),
                    arn,
                    max_session_duration: r.max_session_duration,
                    policies: compile_all(&r.policies),
                    trusted_users: r.trusted_users.clone(),
                })
            })
            .collect();
        Self {
            account_id: cfg.account_id.clone(),
            root_key_id: cfg.root.access_key_id.clone(),
            root_secret: cfg.root.access_key_secret.clone(),
            users,
            roles,
            sessions: Mutex::new(HashMap::new()),
            nonces: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn lookup_key(&self, access_key_id: &str) -> Option<KeyOwner> {
        if access_key_id == self.root_key_id {
            return Some(KeyOwner::Root);
        }
        if let Some(u) = self.users.iter().find(|u| u.access_key_id == access_key_id) {
            return Some(KeyOwner::User(u.clone()));
        }
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(access_key_id)
            .map(|s| KeyOwner::Session(s.clone()))
    }

    /// A role by ARN; the role-name part is compared case-insensitively, as RAM does.
    pub(crate) fn role_by_arn(&self, arn: &str) -> Option<Arc<Role>> {
        self.roles
            .iter()
            .find(|r| r.arn.eq_ignore_ascii_case(arn))
            .cloned()
    }

    pub(crate) fn store_session(&self, session: Session) -> Arc<Session> {
        let s = Arc::new(session);
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(s.access_key_id.clone(), s.clone());
        s
    }

    /// Records a SignatureNonce; false when it was already used within `window`.
    pub(crate) fn use_nonce(
        &self,
        nonce: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> bool {
        let mut map = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, t| *t + window > now);
        }
        match map.get(nonce) {
            Some(t) if *t + window > now => false,
            _ => {
                map.insert(nonce.to_owned(), now);
                true
            }
        }
    }

    /// Whether `principal` may perform `action` on `resource`.
    pub(crate) fn is_allowed(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        conditions: &Conditions,
    ) -> bool {
        match principal {
            Principal::Root => true,
            Principal::User(u) => {
                authz::is_allowed(&u.policies, None, action, resource, conditions)
            }
            Principal::Session(s) => authz::is_allowed(
                &s.role.policies,
                s.session_policy.as_ref(),
                action,
                resource,
                conditions,
            ),
        }
    }
}

fn md5_u64(s: &str) -> u64 {
    use md5::Digest;
    let d = md5::Md5::digest(s.as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}
