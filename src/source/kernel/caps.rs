//! Whether this process may change links: CAP_NET_ADMIN in its effective capability set.

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_NET_ADMIN: u32 = 12;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// True when the calling thread holds CAP_NET_ADMIN (in its user namespace); `None` when the
/// kernel will not say.
pub fn has_net_admin() -> Option<bool> {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget with a v3 header and room for the two data words the ABI defines.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    (rc == 0).then_some(data[0].effective & (1 << CAP_NET_ADMIN) != 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_has_net_admin_and_others_do_not() {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        assert_eq!(super::has_net_admin(), Some(root));
    }
}
