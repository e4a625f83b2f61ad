//! Pods from the kubelet's pod-resources API (`v1.PodResourcesLister/List` over gRPC on the
//! kubelet's unix socket): each container's devices whose IDs are PCI addresses are VFs a
//! device plugin allocated, with the pod, its namespace, the container and the resource name.
//!
//! The messages are the published `k8s.io/kubelet/pkg/apis/podresources/v1/api.proto`, with
//! only the fields vftop reads (protobuf skips the rest): field numbers as published.

use super::cni::is_pci_address;
use crate::model::owner::{Owner, OwnerKind, OwnerSource};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the kubelet serves the API (its root dir's `pod-resources/kubelet.sock`).
pub const SOCKET: &str = "/var/lib/kubelet/pod-resources/kubelet.sock";
/// The largest answer read (the kubelet's own clients allow 16 MiB).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;
/// A kubelet that does not answer in this long is skipped until the next lookup.
const TIMEOUT: Duration = Duration::from_secs(2);
const LIST: &str = "/v1.PodResourcesLister/List";

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesRequest {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesResponse {
    #[prost(message, repeated, tag = "1")]
    pub pod_resources: Vec<PodResources>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PodResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub namespace: String,
    #[prost(message, repeated, tag = "3")]
    pub containers: Vec<ContainerResources>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub devices: Vec<ContainerDevices>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerDevices {
    #[prost(string, tag = "1")]
    pub resource_name: String,
    #[prost(string, repeated, tag = "2")]
    pub device_ids: Vec<String>,
}

/// The pods holding VFs, by PCI address; nothing where there is no kubelet socket (not a
/// Kubernetes node) or it does not answer (said in the log, once per lookup).
pub fn owners(socket: &Path) -> Vec<(String, Owner)> {
    if !socket.exists() {
        return Vec::new();
    }
    match list(socket) {
        Ok(answer) => pod_owners(&answer),
        Err(e) => {
            tracing::warn!("kubelet pod-resources at {}: {e}", socket.display());
            Vec::new()
        }
    }
}

/// The VFs of a List answer: device IDs that are PCI addresses.
pub fn pod_owners(answer: &ListPodResourcesResponse) -> Vec<(String, Owner)> {
    let mut out = Vec::new();
    for pod in &answer.pod_resources {
        for container in &pod.containers {
            for devices in &container.devices {
                let pcis = devices.device_ids.iter().map(|d| d.trim()).filter(|d| is_pci_address(d));
                out.extend(pcis.map(|pci| {
                    let owner = Owner {
                        namespace: Some(pod.namespace.clone()),
                        container: Some(container.name.clone()),
                        detail: Some(devices.resource_name.clone()),
                        ..Owner::new(OwnerKind::Pod, &pod.name, OwnerSource::Kubelet)
                    };
                    (pci.to_lowercase(), owner)
                }));
            }
        }
    }
    out
}

/// Why the kubelet gave no list of pod resources (its owners are left out this time).
#[derive(Debug, thiserror::Error)]
pub enum KubeletError {
    /// No runtime for the client thread.
    #[error("{0}")]
    Runtime(std::io::Error),
    #[error("no answer in 2 s")]
    Timeout,
    #[error("the kubelet client thread panicked")]
    Panicked,
    #[error("connect: {0}")]
    Connect(tonic::transport::Error),
    #[error("List: {} ({:?})", .0.message(), .0.code())]
    List(Box<tonic::Status>),
}

/// One List call, on a thread of its own with its own runtime (the sampler may already run
/// inside one).
pub fn list(socket: &Path) -> Result<ListPodResourcesResponse, KubeletError> {
    let socket = socket.to_path_buf();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(KubeletError::Runtime)?;
        runtime.block_on(async {
            tokio::time::timeout(TIMEOUT, call(socket)).await.map_err(|_| KubeletError::Timeout)?
        })
    })
    .join()
    .map_err(|_| KubeletError::Panicked)?
}

async fn call(socket: PathBuf) -> Result<ListPodResourcesResponse, KubeletError> {
    use tonic::codegen::http::uri::PathAndQuery;
    // The URI only names the authority; the connector dials the socket.
    let endpoint = tonic::transport::Endpoint::from_static("http://localhost");
    let channel = endpoint
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move { tokio::net::UnixStream::connect(socket).await.map(hyper_util::rt::TokioIo::new) }
        }))
        .await
        .map_err(KubeletError::Connect)?;
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_MESSAGE);
    grpc.ready().await.map_err(KubeletError::Connect)?;
    let codec = tonic_prost::ProstCodec::<ListPodResourcesRequest, ListPodResourcesResponse>::default();
    let answer = grpc
        .unary(tonic::Request::new(ListPodResourcesRequest {}), PathAndQuery::from_static(LIST), codec)
        .await
        .map_err(|status| KubeletError::List(Box::new(status)))?;
    Ok(answer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_that_are_pci_addresses_are_vfs_of_the_pod() {
        let answer = ListPodResourcesResponse {
            pod_resources: vec![PodResources {
                name: "api-7f9c".into(),
                namespace: "payments".into(),
                containers: vec![ContainerResources {
                    name: "api".into(),
                    devices: vec![
                        ContainerDevices {
                            resource_name: "intel.com/sriov_netdevice".into(),
                            device_ids: vec!["0000:3b:02.1".into(), "0000:3B:02.2".into()],
                        },
                        ContainerDevices {
                            resource_name: "nvidia.com/gpu".into(),
                            device_ids: vec!["GPU-8f3e2a".into()],
                        },
                    ],
                }],
            }],
        };
        let found = pod_owners(&answer);
        let pcis: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pcis, ["0000:3b:02.1", "0000:3b:02.2"]);
        let owner = &found[0].1;
        assert_eq!(owner.label(), "pod payments/api-7f9c");
        assert_eq!(
            (owner.container.as_deref(), owner.detail.as_deref()),
            (Some("api"), Some("intel.com/sriov_netdevice"))
        );
    }

    #[test]
    fn no_socket_is_silence() {
        assert!(owners(Path::new("/nonexistent/kubelet.sock")).is_empty());
    }

    #[test]
    fn a_socket_nobody_answers_on_is_an_error_not_a_hang() {
        let dir = std::env::temp_dir().join(format!("vftop-kubelet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kubelet.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let got = list(&path);
        drop(listener);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(got.is_err(), "{got:?}");
    }
}
