//! Who is signed in: a context every page reads (and the app shell provides), kept apart from
//! the shell so pages do not import the module that imports them.

use leptos::prelude::*;
use shared::api::{SessionResponse, User};

/// Who is signed in, and the CSRF token for state-changing calls.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: RwSignal<Option<User>>,
    pub csrf: RwSignal<String>,
    /// The first `GET /api/session` has answered.
    pub checked: RwSignal<bool>,
}

impl Session {
    pub fn csrf(&self) -> String {
        self.csrf.get_untracked()
    }
    pub fn signed_in(&self, s: SessionResponse) {
        self.csrf.set(s.csrf_token);
        self.user.set(Some(s.user));
    }
}
