//! Whether this process may change links: CAP_NET_ADMIN in its effective capability set.

use caps::{CapSet, Capability};

/// True when the calling thread holds CAP_NET_ADMIN (in its user namespace); `None` when the
/// kernel will not say.
pub fn has_net_admin() -> Option<bool> {
    caps::has_cap(None, CapSet::Effective, Capability::CAP_NET_ADMIN).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_has_net_admin_and_others_do_not() {
        let root = nix::unistd::geteuid().is_root();
        assert_eq!(super::has_net_admin(), Some(root));
    }
}
