//! Whose a VF is — a pod, a VM, a container or network namespace, a host service — with where
//! that was read, and the sockets of the processes using a host-bound VF.

use serde::{Deserialize, Serialize};

/// What kind of thing holds a VF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    /// A Kubernetes pod (its namespace and container beside it).
    Pod,
    /// A virtual machine the VF is passed through to.
    Vm,
    /// A container's network namespace (its container id).
    Container,
    /// A named or process-held network namespace.
    Netns,
    /// Processes on the host using the VF's netdev.
    Host,
}

impl OwnerKind {
    pub fn label(self) -> &'static str {
        match self {
            OwnerKind::Pod => "pod",
            OwnerKind::Vm => "vm",
            OwnerKind::Container => "container",
            OwnerKind::Netns => "netns",
            OwnerKind::Host => "host",
        }
    }

    /// The kind a label names (an exporter's `kind` label).
    pub fn parse(label: &str) -> Option<OwnerKind> {
        [OwnerKind::Pod, OwnerKind::Vm, OwnerKind::Container, OwnerKind::Netns, OwnerKind::Host]
            .into_iter()
            .find(|k| k.label() == label)
    }
}

/// Where an owner was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnerSource {
    /// The kubelet's pod-resources API.
    Kubelet,
    /// The SR-IOV CNI plugin's cache (`/var/lib/cni/sriov`).
    SriovCni,
    /// libvirt's live domain XML.
    Libvirt,
    /// The QEMU process holding the VF's vfio group.
    Qemu,
    /// The network namespace the VF's netdev is in.
    Netns,
    /// The host processes with sockets on the VF.
    Sockets,
    /// A simulator scenario.
    Scenario,
    /// A host's exporter (the fleet).
    Exporter,
}

impl OwnerSource {
    pub fn label(self) -> &'static str {
        match self {
            OwnerSource::Kubelet => "kubelet pod-resources",
            OwnerSource::SriovCni => "SR-IOV CNI cache",
            OwnerSource::Libvirt => "libvirt domain XML",
            OwnerSource::Qemu => "QEMU process (vfio group)",
            OwnerSource::Netns => "network namespace",
            OwnerSource::Sockets => "sockets on the VF",
            OwnerSource::Scenario => "scenario",
            OwnerSource::Exporter => "exporter",
        }
    }
}

/// Whose a VF is. (Every field is always written: the recorder's postcard frames need them.)
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The pod's, domain's, namespace's or process's name (a container's short id).
    pub name: String,
    /// The pod's Kubernetes namespace.
    pub namespace: Option<String>,
    /// The pod's container.
    pub container: Option<String>,
    /// More of who it is: the device plugin's resource name, nova's instance name, the pid.
    pub detail: Option<String>,
    pub source: OwnerSource,
}

impl Owner {
    pub fn new(kind: OwnerKind, name: impl Into<String>, source: OwnerSource) -> Owner {
        Owner { kind, name: name.into(), namespace: None, container: None, detail: None, source }
    }

    /// How the console names it: `pod payments/api-7f9c`, `vm web-03`, `netns pod1`,
    /// `host: rsync`.
    pub fn label(&self) -> String {
        match (self.kind, &self.namespace) {
            (OwnerKind::Pod, Some(ns)) => format!("pod {ns}/{}", self.name),
            (OwnerKind::Host, _) => format!("host: {}", self.name),
            (kind, _) => format!("{} {}", kind.label(), self.name),
        }
    }
}

/// A socket's transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Tcp,
    Udp,
}

/// One socket on a host-bound VF, as sock_diag reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SocketUse {
    /// The kernel's socket cookie: the same socket in two samples.
    pub cookie: u64,
    pub transport: Transport,
    /// The process holding it (`/proc/PID/fd`), where found.
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// `tcpi_bytes_acked` (what it sent and the peer acknowledged), TCP only.
    pub bytes_sent: Option<u64>,
    /// `tcpi_bytes_received`, TCP only.
    pub bytes_received: Option<u64>,
    /// A listening socket: the service, no traffic of its own.
    pub listening: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_owner_the_way_the_console_shows_it() {
        let mut pod = Owner::new(OwnerKind::Pod, "api-7f9c", OwnerSource::Kubelet);
        pod.namespace = Some("payments".into());
        assert_eq!(pod.label(), "pod payments/api-7f9c");
        assert_eq!(Owner::new(OwnerKind::Vm, "web-03", OwnerSource::Libvirt).label(), "vm web-03");
        assert_eq!(Owner::new(OwnerKind::Netns, "pod1", OwnerSource::Netns).label(), "netns pod1");
        assert_eq!(Owner::new(OwnerKind::Host, "rsync", OwnerSource::Sockets).label(), "host: rsync");
    }
}
