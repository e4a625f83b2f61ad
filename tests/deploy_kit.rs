//! The deploy kit against the exporter it deploys: the Kubernetes manifests parse and the
//! kustomization lists them; the port, the probes' and the scrape's paths, the image and the
//! host paths are the ones `vftop serve` has (its `--help` says which); every command line the
//! kit runs starts a real `vftop serve`; the DaemonSet and the serve unit grant the same access
//! and nothing that changes the host; the PrometheusRule carries the rule files' groups; the
//! systemd units score in systemd-analyze's OK band or better and verify. The systemd checks
//! print SKIPPED without systemd-analyze, the generator's own check without python3's PyYAML
//! (`tests/run-all.sh` installs both; a failure under VFTOP_REQUIRE_ALL=1).

mod common;

use common::prometheus::{Running, TempDir, free_port, http_get, wait_until};
use common::tmux::require;
use serde_norway::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
const KIT: &str = "contrib/kubernetes";
const CONTAINERFILE: &str = "contrib/container/Containerfile";
const SERVE_UNIT: &str = "contrib/vftop-serve.service";
/// systemd-analyze's exposure bands from "OK" down (src/analyze/analyze-security.c).
const GOOD_BANDS: [&str; 3] = ["OK", "SAFE", "PERFECT"];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn manifest(name: &str) -> Value {
    yaml(&format!("{KIT}/{name}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn list(v: &Value) -> &[Value] {
    v.as_sequence().map_or(&[], Vec::as_slice)
}

fn strings(v: &Value) -> Vec<String> {
    list(v).iter().map(|s| text(s).to_string()).collect()
}

/// What `vftop serve --help` gives as its defaults.
struct ServeDefaults {
    listen: SocketAddr,
    kubelet_socket: PathBuf,
    cni_cache_dir: PathBuf,
    libvirt_run_dir: PathBuf,
}

fn serve_defaults() -> ServeDefaults {
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    // An option's paragraph runs from its line to the next option's; its default is written
    // `[default: X]` (clap's) or `(default X)` (the doc comment's).
    let default_of = |option: &str, open: &str, close: &str| -> String {
        let mut lines = help.lines().skip_while(|l| !l.trim_start().starts_with(option));
        let head = lines.next().unwrap_or_else(|| panic!("serve --help has no {option}"));
        let paragraph: Vec<&str> =
            std::iter::once(head).chain(lines.take_while(|l| !l.trim_start().starts_with('-'))).collect();
        let paragraph = paragraph.join(" ");
        let rest = paragraph.split_once(open).unwrap_or_else(|| panic!("{option}: no default")).1;
        rest.split_once(close).unwrap().0.trim().to_string()
    };
    ServeDefaults {
        listen: default_of("--listen", "[default: ", "]").parse().unwrap(),
        kubelet_socket: default_of("--kubelet-socket", "(default ", ")").into(),
        cni_cache_dir: default_of("--cni-cache-dir", "(default ", ")").into(),
        libvirt_run_dir: default_of("--libvirt-run-dir", "(default ", ")").into(),
    }
}

/// The value after `option` in a command line.
fn option_value<'a>(args: &'a [String], option: &str) -> &'a str {
    let at = args.iter().position(|a| a == option).unwrap_or_else(|| panic!("no {option} in {args:?}"));
    &args[at + 1]
}

/// The DaemonSet's pod spec and its one container.
fn daemonset() -> (Value, Value) {
    let ds = manifest("daemonset.yaml");
    assert_eq!(ds["kind"], "DaemonSet");
    let pod = ds["spec"]["template"]["spec"].clone();
    let containers = list(&pod["containers"]);
    assert_eq!(containers.len(), 1, "one container");
    let container = containers[0].clone();
    (pod, container)
}

/// A unit file's settings: (section, key, value) in order (a key may repeat).
fn unit(path: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in read(path).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once('=') {
            out.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

/// Every value of `key` in [Service], split into words.
fn service_words(settings: &[(String, String, String)], key: &str) -> Vec<String> {
    settings
        .iter()
        .filter(|(s, k, _)| s == "Service" && k == key)
        .flat_map(|(_, _, v)| v.split_whitespace().map(str::to_string))
        .collect()
}

fn service_value(settings: &[(String, String, String)], key: &str) -> Option<String> {
    let values: Vec<&String> =
        settings.iter().filter(|(s, k, _)| s == "Service" && k == key).map(|t| &t.2).collect();
    values.last().map(|v| v.to_string())
}

/// The Containerfile's instructions (continuation lines joined), each `${NAME}` replaced by the
/// default of an `ARG NAME=…` before it.
fn containerfile() -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut pending = String::new();
    for line in read(CONTAINERFILE).lines() {
        let line = line.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => pending.push_str(part),
            None => {
                pending.push_str(line);
                joined.push(std::mem::take(&mut pending));
            }
        }
    }
    let mut args: Vec<(String, String)> = Vec::new();
    joined
        .into_iter()
        .map(|line| {
            let (instruction, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
            let mut rest = rest.trim().to_string();
            for (name, value) in &args {
                rest = rest.replace(&format!("${{{name}}}"), value);
            }
            if instruction == "ARG"
                && let Some((name, value)) = rest.split_once('=')
            {
                args.push((name.to_string(), value.to_string()));
            }
            (instruction.to_uppercase(), rest)
        })
        .collect()
}

fn instructions(file: &[(String, String)], name: &str) -> Vec<String> {
    file.iter().filter(|(i, _)| i == name).map(|(_, rest)| rest.clone()).collect()
}

/// An exec-form instruction's JSON array.
fn exec_form(rest: &str) -> Vec<String> {
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("not a JSON array: {rest}: {e}"))
}

/// The command lines the kit runs `vftop` with (the arguments after the binary), by where.
fn command_lines() -> Vec<(&'static str, Vec<String>)> {
    let (_, container) = daemonset();
    let file = containerfile();
    let cmd = instructions(&file, "CMD");
    let exec = service_value(&unit(SERVE_UNIT), "ExecStart").expect("ExecStart");
    let mut exec: Vec<String> = exec.split_whitespace().map(str::to_string).collect();
    assert!(exec.remove(0).ends_with("/vftop"), "the unit runs vftop");
    vec![
        ("daemonset.yaml", strings(&container["args"])),
        ("Containerfile CMD", exec_form(cmd.last().expect("a CMD"))),
        (SERVE_UNIT, exec),
    ]
}

#[test]
fn every_manifest_parses_and_the_kustomization_lists_them() {
    let kustomization = manifest("kustomization.yaml");
    assert_eq!(kustomization["kind"], "Kustomization");
    let listed: BTreeSet<String> = strings(&kustomization["resources"]).into_iter().collect();
    let present: BTreeSet<String> = std::fs::read_dir(repo(KIT))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    assert_eq!(listed, present, "the kustomization lists every manifest here, and only those");
    let namespace = text(&kustomization["namespace"]);
    for name in &present {
        let doc = manifest(name);
        assert!(doc["apiVersion"].is_string() && doc["kind"].is_string(), "{name}: apiVersion and kind");
        assert!(doc["metadata"]["name"].is_string(), "{name}: a name");
        match text(&doc["kind"]) {
            "Namespace" => assert_eq!(text(&doc["metadata"]["name"]), namespace, "{name}"),
            // The kustomization puts everything else in its namespace.
            _ => assert!(doc["metadata"]["namespace"].is_null(), "{name} names its own namespace"),
        }
    }
}

#[test]
fn the_port_is_the_exporters_default_everywhere() {
    let port = serve_defaults().listen.port();
    let (_, container) = daemonset();
    let ports = list(&container["ports"]);
    let named =
        |name: &str| ports.iter().find(|p| p["name"] == name).and_then(|p| p["containerPort"].as_u64());
    assert_eq!(named("metrics"), Some(u64::from(port)), "the DaemonSet's metrics port");

    let service = manifest("service.yaml");
    let service_port =
        list(&service["spec"]["ports"]).iter().find(|p| p["name"] == "metrics").expect("port metrics");
    assert_eq!(service_port["port"].as_u64(), Some(u64::from(port)));
    let target = &service_port["targetPort"];
    let target = target.as_u64().or_else(|| target.as_str().and_then(named));
    assert_eq!(target, Some(u64::from(port)), "the Service's targetPort is the container's");

    let monitor = manifest("servicemonitor.yaml");
    let endpoints = list(&monitor["spec"]["endpoints"]);
    assert!(!endpoints.is_empty());
    for endpoint in endpoints {
        assert_eq!(endpoint["port"], service_port["name"], "the ServiceMonitor scrapes the Service's port");
    }

    let file = containerfile();
    let exposed: Vec<String> = instructions(&file, "EXPOSE");
    assert_eq!(exposed, [port.to_string()], "the Containerfile's EXPOSE");

    // Every command listens on the port on all addresses: Prometheus scrapes from elsewhere.
    for (place, args) in command_lines() {
        let listen: SocketAddr = option_value(&args, "--listen").parse().unwrap();
        assert_eq!(listen.port(), port, "{place}");
        assert!(listen.ip().is_unspecified(), "{place}: {listen} is not reachable from Prometheus");
    }
}

#[test]
fn the_service_monitor_finds_the_pods_and_labels_them_by_node() {
    let ds = manifest("daemonset.yaml");
    let pod_labels = ds["spec"]["template"]["metadata"]["labels"].as_mapping().unwrap().clone();
    let selects = |selector: &Value, labels: &serde_norway::Mapping| {
        let selector = selector.as_mapping().expect("a selector");
        !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    };
    assert!(selects(&ds["spec"]["selector"]["matchLabels"], &pod_labels), "the DaemonSet's own pods");
    let service = manifest("service.yaml");
    assert!(selects(&service["spec"]["selector"], &pod_labels), "the Service selects the exporter's pods");
    assert_eq!(service["spec"]["clusterIP"], "None", "headless: every pod is scraped, none balanced");
    let service_labels = service["metadata"]["labels"].as_mapping().unwrap();
    let monitor = manifest("servicemonitor.yaml");
    assert_eq!(text(&monitor["apiVersion"]), "monitoring.coreos.com/v1");
    assert!(
        selects(&monitor["spec"]["selector"]["matchLabels"], service_labels),
        "the ServiceMonitor finds it"
    );
    for endpoint in list(&monitor["spec"]["endpoints"]) {
        assert_eq!(endpoint["interval"], "15s");
        let node = list(&endpoint["relabelings"]).iter().any(|r| {
            strings(&r["sourceLabels"]) == ["__meta_kubernetes_pod_node_name"]
                && r["targetLabel"] == "node"
                && (r["action"].is_null() || r["action"] == "replace")
        });
        assert!(node, "a node label from the pod's node name");
    }
}

#[test]
fn every_command_line_of_the_kit_starts_serve_and_the_probes_answer() {
    let (_, container) = daemonset();
    let probe_paths: BTreeSet<&str> = ["readinessProbe", "livenessProbe"]
        .iter()
        .map(|probe| {
            let get = &container[*probe]["httpGet"];
            assert_eq!(get["port"], "metrics", "{probe} on the metrics port");
            text(&get["path"])
        })
        .collect();
    let monitor = manifest("servicemonitor.yaml");
    let scrape = list(&monitor["spec"]["endpoints"])[0]["path"].as_str().unwrap_or("/metrics").to_string();
    for (place, mut args) in command_lines() {
        // Each as written, on the demo NIC, listening on loopback, with its log discarded
        // (the unit's is under /var/log).
        let port = free_port();
        let at = args.iter().position(|a| a == "--listen").unwrap();
        args[at + 1] = format!("127.0.0.1:{port}");
        if let Some(at) = args.iter().position(|a| a == "--log") {
            args[at + 1] = "/dev/null".into();
        }
        args.push("--demo".into());
        let child =
            Command::new(BIN).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let _running = Running(child);
        let base = format!("http://127.0.0.1:{port}");
        for path in &probe_paths {
            wait_until(&format!("{place}: {path}"), Duration::from_secs(20), || {
                http_get(&format!("{base}{path}")).is_ok_and(|body| body.starts_with("ok"))
            });
        }
        let metrics = http_get(&format!("{base}{scrape}")).unwrap();
        assert!(metrics.contains("sriov_vf_tx_bytes{"), "{place}: {scrape} has the VF counters");
    }
    // Requests to schedule by and limits to contain a runaway, both for CPU and memory.
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(container["resources"][kind][resource].is_string(), "resources.{kind}.{resource}");
        }
    }
}

#[test]
fn one_image_everywhere_tagged_with_the_version() {
    let (_, container) = daemonset();
    let image = text(&container["image"]);
    let (name, tag) = image.rsplit_once(':').expect("a tagged image");
    assert_eq!(tag, env!("CARGO_PKG_VERSION"), "the image's tag is vftop's version");
    let file = containerfile();
    let version_arg =
        instructions(&file, "ARG").into_iter().find_map(|a| a.strip_prefix("VERSION=").map(String::from));
    assert_eq!(version_arg.as_deref(), Some(tag), "the Containerfile's version label");
    // Wherever the kit and the README name the image with a tag, it is this one; the README
    // builds it.
    let named = format!("{name}:");
    let mut seen = 0;
    for path in [
        format!("{KIT}/daemonset.yaml"),
        format!("{KIT}/kustomization.yaml"),
        CONTAINERFILE.into(),
        "README.md".into(),
    ] {
        let text = read(&path);
        for (at, _) in text.match_indices(&named) {
            let rest = &text[at + named.len()..];
            let found: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c)).collect();
            assert_eq!(found, tag, "{path} names {named}{found}");
            seen += 1;
        }
    }
    assert!(read("README.md").contains(&format!("-t {image} ")), "the README builds {image}");
    assert!(seen >= 3, "{seen} mentions of the image");
}

#[test]
fn the_container_builds_the_release_binary_and_runs_it_as_non_root() {
    let file = containerfile();
    let stages = instructions(&file, "FROM");
    assert_eq!(stages.len(), 2, "a builder and a runtime: {stages:?}");
    let (builder, alias) =
        stages[0].split_once(" AS ").or_else(|| stages[0].split_once(" as ")).expect("a named builder");
    let runtime = &stages[1];
    // One Debian release: a binary built against a newer glibc does not start on an older one.
    let release = runtime
        .rsplit_once("debian:")
        .and_then(|(_, t)| t.strip_suffix("-slim"))
        .expect("debian:RELEASE-slim");
    let (rust, rust_tag) = builder.rsplit_once(':').unwrap();
    assert!(rust.ends_with("/rust") || rust == "rust", "{builder}");
    assert!(rust_tag.ends_with(&format!("-{release}")), "the builder is on {release} too: {builder}");
    // Not older than the workspace's rust-version.
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let msrv = manifest["workspace"]["package"]["rust-version"].as_str().unwrap();
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    let rust_version = rust_tag.split('-').next().unwrap();
    assert!(version(rust_version) >= version(msrv), "rust {rust_version} builds a crate that needs {msrv}");

    let runs = instructions(&file, "RUN");
    assert!(runs.iter().any(|r| r.contains("cargo build --release --locked --bin vftop")), "{runs:?}");
    let entrypoint = exec_form(instructions(&file, "ENTRYPOINT").last().expect("an ENTRYPOINT"));
    assert_eq!(entrypoint.len(), 1);
    let copies = instructions(&file, "COPY");
    let binary =
        copies.iter().find(|c| c.starts_with(&format!("--from={alias} "))).expect("the binary copied");
    assert!(binary.ends_with(&format!(" {}", entrypoint[0])), "{binary} is the ENTRYPOINT {entrypoint:?}");
    let user = instructions(&file, "USER");
    let uid: u32 = user.last().expect("a USER").split(':').next().unwrap().parse().expect("a numeric uid");
    assert_ne!(uid, 0, "non-root by default");

    // The build context: what cargo and git made stays out, the sources stay in (the README
    // and the themes are compiled in, the benches are named in Cargo.toml).
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(|l| l.trim().trim_end_matches('/').to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(ignored.iter().any(|p| p == "target"), ".dockerignore leaves target/ in: {ignored:?}");
    for needed in ["Cargo.toml", "Cargo.lock", "README.md", "src", "crates", "themes", "benches"] {
        assert!(repo(needed).exists(), "{needed}");
        assert!(
            !ignored.iter().any(|p| p == needed || p == "*" || p == "**"),
            ".dockerignore drops {needed}"
        );
    }
}

/// What a process may do beyond an unprivileged user: its capabilities, and (as
/// DAC_OVERRIDE) opening root's files, which uid 0 may by owning them.
fn privileges(uid0: bool, capabilities: &[String]) -> BTreeSet<String> {
    let mut set: BTreeSet<String> =
        capabilities.iter().map(|c| c.trim_start_matches("CAP_").to_uppercase()).collect();
    if uid0 {
        set.insert("DAC_OVERRIDE".into());
    }
    set
}

#[test]
fn the_daemonset_and_the_serve_unit_grant_the_same_and_nothing_that_changes_the_host() {
    let (pod, container) = daemonset();
    assert_eq!(pod["hostNetwork"], true, "the PFs are in the host's network namespace");
    assert_ne!(pod["hostPID"], true, "the kubelet names the owners; /proc of the host is not needed");
    assert_eq!(pod["automountServiceAccountToken"], false, "serve never calls the API server");
    let security = &container["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_ne!(security["privileged"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(strings(&security["capabilities"]["drop"]), ["ALL"]);
    let added = strings(&security["capabilities"]["add"]);
    let uid0 = security["runAsUser"].as_u64() == Some(0);
    assert!(!uid0 || security["runAsNonRoot"] != true, "runAsNonRoot contradicts runAsUser 0");

    let settings = unit(SERVE_UNIT);
    let ambient = service_words(&settings, "AmbientCapabilities");
    let bounding = service_words(&settings, "CapabilityBoundingSet");
    assert_eq!(
        ambient.iter().collect::<BTreeSet<_>>(),
        bounding.iter().collect::<BTreeSet<_>>(),
        "the unit's bounding set is what it is given"
    );
    let user = service_value(&settings, "User");
    let dynamic = service_value(&settings, "DynamicUser").as_deref() == Some("yes");
    assert!(dynamic || user.is_some_and(|u| u != "root" && u != "0"), "the unit runs as a non-root user");
    assert_eq!(service_value(&settings, "NoNewPrivileges").as_deref(), Some("yes"));

    let in_kubernetes = privileges(uid0, &added);
    let under_systemd = privileges(false, &ambient);
    assert_eq!(in_kubernetes, under_systemd, "one set of privileges for serve");
    // `serve` only reads: nothing that changes links, rates or other processes.
    for forbidden in ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "NET_RAW"] {
        assert!(!in_kubernetes.contains(forbidden), "{forbidden} granted");
    }
}

#[test]
fn host_paths_are_read_only_and_are_the_owner_sources_serve_reads() {
    let defaults = serve_defaults();
    let kubelet_dir = defaults.kubelet_socket.parent().unwrap().to_path_buf();
    let (pod, container) = daemonset();
    let mut host_paths = BTreeSet::new();
    for volume in list(&pod["volumes"]) {
        let Some(path) = volume["hostPath"]["path"].as_str() else { continue };
        let mounts: Vec<&Value> =
            list(&container["volumeMounts"]).iter().filter(|m| m["name"] == volume["name"]).collect();
        assert!(!mounts.is_empty(), "{path} is mounted");
        for mount in mounts {
            assert_eq!(mount["readOnly"], true, "{path} is mounted read-only");
            // At the same path, so serve's defaults find it.
            assert_eq!(text(&mount["mountPath"]), path);
        }
        host_paths.insert(PathBuf::from(path));
    }
    // Kubernetes' VMs are pods (KubeVirt): the kubelet names them, libvirt's directory is not
    // mounted.
    let kubernetes: BTreeSet<PathBuf> = [kubelet_dir.clone(), defaults.cni_cache_dir.clone()].into();
    assert_eq!(host_paths, kubernetes);

    let bound: BTreeSet<PathBuf> = service_words(&unit(SERVE_UNIT), "BindReadOnlyPaths")
        .iter()
        .map(|p| PathBuf::from(p.trim_start_matches('-')))
        .collect();
    let host: BTreeSet<PathBuf> = [kubelet_dir, defaults.cni_cache_dir, defaults.libvirt_run_dir].into();
    assert_eq!(bound, host, "the unit sees the owner sources read-only");
}

/// The rule files the PrometheusRule is made from, as the generator picks them.
fn rule_sources(script: &Path) -> Vec<String> {
    let out = Command::new("bash").arg(script).arg("--sources").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// The groups of these rule files, in order.
fn groups_of(root: &Path, files: &[String]) -> Vec<Value> {
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            let doc: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
            list(&doc["groups"]).to_vec()
        })
        .collect()
}

fn have_pyyaml() -> bool {
    Command::new("python3").args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn the_prometheus_rule_carries_the_rule_files_groups() {
    let script = repo(&format!("{KIT}/prometheusrule.sh"));
    let sources = rule_sources(&script);
    assert!(!sources.is_empty());
    let rule = manifest("prometheusrule.yaml");
    assert_eq!(rule["kind"], "PrometheusRule");
    assert_eq!(text(&rule["apiVersion"]), "monitoring.coreos.com/v1");
    let groups = groups_of(&repo("."), &sources);
    assert!(!groups.is_empty(), "{sources:?} have groups");
    assert_eq!(
        list(&rule["spec"]["groups"]),
        groups.as_slice(),
        "prometheusrule.yaml is out of date: run {}",
        script.display()
    );
    if require(have_pyyaml(), "python3 lacks PyYAML (apt install python3-yaml): prometheusrule.sh not run") {
        let out = Command::new("bash").arg(&script).arg("--check").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_rule_generator_takes_the_first_set_of_files_there_is() {
    // The generator and its list in a scratch tree: the last set of files alone, then every
    // set (each file with a group of its own).
    let dir = TempDir::new("rules");
    let kit = dir.0.join(KIT);
    std::fs::create_dir_all(&kit).unwrap();
    for name in ["prometheusrule.sh", "prometheusrule.sources"] {
        std::fs::copy(repo(&format!("{KIT}/{name}")), kit.join(name)).unwrap();
    }
    let sets: Vec<Vec<String>> = read(&format!("{KIT}/prometheusrule.sources"))
        .lines()
        .map(|l| l.split('#').next().unwrap().split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|set| !set.is_empty())
        .collect();
    assert!(!sets.is_empty());
    let write = |file: &String| {
        let path = dir.0.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Two groups in a file (their order is kept), a multi-line expression in each.
        let mut text = String::from("groups:\n");
        for part in ["a", "b"] {
            let group = format!("{}_{part}", file.replace(['/', '.'], "_"));
            text += &format!("  - name: {group}\n    rules:\n      - record: {group}:x\n");
            text += "        expr: |\n          sum by (pf) (\n            up\n          )\n";
        }
        std::fs::write(&path, text).unwrap();
    };
    let script = kit.join("prometheusrule.sh");
    let last = sets.last().unwrap();
    last.iter().for_each(write);
    assert_eq!(&rule_sources(&script), last);
    sets.iter().flatten().for_each(write);
    assert_eq!(rule_sources(&script), sets[0]);
    if require(have_pyyaml(), "python3 lacks PyYAML (apt install python3-yaml): prometheusrule.sh not run") {
        let out = Command::new("bash").arg(&script).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let made: Value =
            serde_norway::from_str(&std::fs::read_to_string(kit.join("prometheusrule.yaml")).unwrap())
                .unwrap();
        assert_eq!(list(&made["spec"]["groups"]), groups_of(&dir.0, &sets[0]).as_slice());
    }
}

fn have_systemd_analyze() -> bool {
    require(
        Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success()),
        "systemd-analyze is not installed (apt install systemd)",
    )
}

/// contrib/*.service.
fn units() -> Vec<PathBuf> {
    let mut units: Vec<PathBuf> = std::fs::read_dir(repo("contrib"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "service"))
        .collect();
    units.sort();
    assert!(units.contains(&repo(SERVE_UNIT)), "{units:?}");
    units
}

#[test]
fn the_units_score_ok_or_better_with_systemd_analyze() {
    if !have_systemd_analyze() {
        return;
    }
    for path in units() {
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=true"])
            .arg(&path)
            .env("SYSTEMD_COLORS", "0")
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        let line = report
            .lines()
            .find(|l| l.contains("Overall exposure level for"))
            .unwrap_or_else(|| panic!("{}: no overall exposure: {report}", path.display()));
        let (_, figure) = line.split_once(": ").unwrap();
        let mut words = figure.split_whitespace();
        let exposure: f64 = words.next().unwrap().parse().unwrap();
        let band = words.next().unwrap();
        eprintln!("{}: exposure {exposure} {band}", path.display());
        assert!(GOOD_BANDS.contains(&band), "{}: {exposure} {band}", path.display());
    }
}

#[test]
fn the_units_verify() {
    if !have_systemd_analyze() {
        return;
    }
    // Offline, in a root of its own: the system's units (for the targets a service depends
    // on), the unit, and an executable where ExecStart says (verify checks it is there).
    let system = Path::new("/usr/lib/systemd/system");
    if !require(system.is_dir(), "no /usr/lib/systemd/system to verify the units against") {
        return;
    }
    let root = TempDir::new("units");
    let units_dir = root.0.join("usr/lib/systemd");
    std::fs::create_dir_all(&units_dir).unwrap();
    let copied = Command::new("cp").arg("-a").arg(system).arg(&units_dir).status().unwrap();
    assert!(copied.success());
    let local = root.0.join("etc/systemd/system");
    std::fs::create_dir_all(&local).unwrap();
    for path in units() {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let exec = service_value(&unit(&format!("contrib/{name}")), "ExecStart").expect("ExecStart");
        let binary = root.0.join(exec.split_whitespace().next().unwrap().trim_start_matches('/'));
        std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
        std::fs::write(&binary, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::copy(&path, local.join(&name)).unwrap();
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no", "--generators=no"])
            .arg(format!("--root={}", root.0.display()))
            .arg(&name)
            .output()
            .unwrap();
        // verify exits 0 on an unknown key or a bad value, saying so on stderr.
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.trim().is_empty(), "{name}: {said}");
    }
}
