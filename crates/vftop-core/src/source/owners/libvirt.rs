//! VMs from libvirt's live domain XML (`/run/libvirt/qemu/NAME.xml`, a `<domstatus>` around
//! the running `<domain>`): the PCI addresses of its `<hostdev type='pci'>` and `<interface
//! type='hostdev'>` sources, the domain's name, and OpenStack nova's instance name and project
//! from its `<metadata>` where nova wrote them.

use crate::model::owner::{Owner, OwnerKind, OwnerSource};
use std::path::Path;

const NOVA: &str = "http://openstack.org/xmlns/libvirt/nova/1.1";

/// Every VF a domain file names, by PCI address (`0000:3b:02.1`), with its VM.
pub fn read_dir(dir: &Path) -> Vec<(String, Owner)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for path in entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "xml")) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        match parse(&text) {
            Ok(found) => out.extend(found),
            Err(e) => tracing::warn!("libvirt domain {}: skipped: {e}", path.display()),
        }
    }
    out
}

/// Why a file is not a libvirt domain (the file is skipped).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Xml(roxmltree::Error),
    #[error("no <domain> element")]
    NoDomain,
    #[error("the domain has no <name>")]
    NoName,
}

/// The VFs of one domain's XML (live status or plain domain); an error for XML that is not a
/// domain.
pub fn parse(text: &str) -> Result<Vec<(String, Owner)>, DomainError> {
    let doc = roxmltree::Document::parse(text).map_err(DomainError::Xml)?;
    let root = doc.root_element();
    let domain = if root.has_tag_name("domain") {
        root
    } else {
        root.children().find(|n| n.has_tag_name("domain")).ok_or(DomainError::NoDomain)?
    };
    let name = child(domain, "name").and_then(|n| n.text()).map(str::trim).filter(|n| !n.is_empty());
    let name = name.ok_or(DomainError::NoName)?;
    let nova =
        child(domain, "metadata").and_then(|m| m.children().find(|n| n.has_tag_name((NOVA, "instance"))));
    let nova_text = |tag: &str| {
        nova.and_then(|i| i.descendants().find(|n| n.has_tag_name((NOVA, tag))))
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let owner = match nova_text("name") {
        Some(display) => Owner {
            namespace: nova_text("project"),
            detail: Some(format!("nova instance {name}")),
            ..Owner::new(OwnerKind::Vm, display, OwnerSource::Libvirt)
        },
        None => Owner::new(OwnerKind::Vm, name, OwnerSource::Libvirt),
    };
    let Some(devices) = child(domain, "devices") else { return Ok(Vec::new()) };
    let pci_sources = devices.children().filter(|d| {
        (d.has_tag_name("hostdev") && d.attribute("type") == Some("pci"))
            || (d.has_tag_name("interface") && d.attribute("type") == Some("hostdev"))
    });
    Ok(pci_sources
        .filter_map(|d| child(d, "source").and_then(|s| child(s, "address")))
        .filter_map(|a| pci_address(&a))
        .map(|pci| (pci, owner.clone()))
        .collect())
}

/// `node`'s first child element called `name`.
fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// `<address domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/>` → `0000:3b:02.1`.
fn pci_address(a: &roxmltree::Node<'_, '_>) -> Option<String> {
    if a.attribute("type").is_some_and(|t| t != "pci") {
        return None;
    }
    let hex = |name: &str| {
        let v = a.attribute(name)?;
        u32::from_str_radix(v.trim_start_matches("0x"), 16).ok()
    };
    let (domain, bus, slot, function) = (hex("domain")?, hex("bus")?, hex("slot")?, hex("function")?);
    (domain <= 0xffff && bus <= 0xff && slot <= 0x1f && function <= 7)
        .then(|| format!("{domain:04x}:{bus:02x}:{slot:02x}.{function:x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status XML as libvirtd writes it for a running domain, with an `<interface
    /// type='hostdev'>` and a plain `<hostdev>` (and an emulated NIC that is not a VF).
    const STATUS: &str = r#"<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit web-03
-->
<domstatus state='running' reason='booted' pid='4242'>
  <monitor path='/var/lib/libvirt/qemu/domain-3-web-03/monitor.sock' type='unix'/>
  <domain type='kvm' id='3'>
    <name>web-03</name>
    <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
    <devices>
      <interface type='hostdev' managed='yes'>
        <mac address='52:54:00:6d:90:02'/>
        <source>
          <address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/>
        </source>
        <vlan><tag id='600'/></vlan>
        <alias name='hostdev0'/>
      </interface>
      <hostdev mode='subsystem' type='pci' managed='yes'>
        <driver name='vfio'/>
        <source>
          <address domain='0x0000' bus='0x3b' slot='0x0a' function='0x7'/>
        </source>
      </hostdev>
      <interface type='network'>
        <source network='default'/>
        <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
      </interface>
    </devices>
  </domain>
</domstatus>
"#;

    const NOVA_DOMAIN: &str = r#"<domain type='kvm'>
  <name>instance-0000002a</name>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:package version="27.1.0"/>
      <nova:name>payments-db-1</nova:name>
      <nova:creationTime>2026-11-30 21:04:12</nova:creationTime>
      <nova:owner>
        <nova:user uuid="a3f1">alice</nova:user>
        <nova:project uuid="9c2e">payments</nova:project>
      </nova:owner>
    </nova:instance>
  </metadata>
  <devices>
    <interface type='hostdev' managed='yes'>
      <source><address type='pci' domain='0x0000' bus='0xaf' slot='0x06' function='0x0'/></source>
    </interface>
  </devices>
</domain>"#;

    #[test]
    fn status_xml_gives_each_passed_through_vf_its_domain() {
        let found = parse(STATUS).unwrap();
        let pcis: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pcis, ["0000:3b:02.1", "0000:3b:0a.7"]);
        assert!(found.iter().all(|(_, o)| o.label() == "vm web-03" && o.source == OwnerSource::Libvirt));
    }

    #[test]
    fn nova_metadata_names_the_instance_and_project() {
        let found = parse(NOVA_DOMAIN).unwrap();
        let (pci, owner) = &found[0];
        assert_eq!(pci, "0000:af:06.0");
        assert_eq!(owner.label(), "vm payments-db-1");
        assert_eq!(owner.namespace.as_deref(), Some("payments"));
        assert_eq!(owner.detail.as_deref(), Some("nova instance instance-0000002a"));
    }

    #[test]
    fn malformed_or_foreign_xml_is_an_error_or_nothing_never_a_wrong_owner() {
        assert!(parse("<domstatus><domain><name>x</name>").is_err());
        assert!(parse("<network><name>default</name></network>").is_err());
        assert!(parse("<domain><devices/></domain>").is_err());
        let bad_address = "<domain><name>v</name><devices><hostdev type='pci'><source>\
            <address domain='0x0000' bus='0x1ff' slot='0x02' function='0x9'/></source></hostdev></devices></domain>";
        assert_eq!(parse(bad_address).unwrap(), vec![]);
    }

    #[test]
    fn a_directory_skips_bad_files_and_reads_the_rest() {
        let dir = std::env::temp_dir().join(format!("vftop-libvirt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("web-03.xml"), STATUS).unwrap();
        std::fs::write(dir.join("broken.xml"), "<domstatus><domain>").unwrap();
        std::fs::write(dir.join("web-03.pid"), "4242").unwrap();
        let found = read_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.len(), 2);
    }
}
