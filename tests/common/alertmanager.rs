//! A real Alertmanager (Debian's `prometheus-alertmanager`) for tests, on a free loopback port
//! with clustering off, delivering every notification to a webhook receiver in the test.
#![allow(dead_code)]

use super::prometheus::{Running, TempDir, free_port, http_get, wait_until};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether `prometheus-alertmanager` is installed (`tests/run-all.sh` installs it).
pub fn have_alertmanager() -> bool {
    Command::new("prometheus-alertmanager").arg("--version").output().is_ok_and(|o| o.status.success())
}

pub struct Alertmanager {
    pub port: u16,
    _dir: TempDir,
    _process: Running,
}

impl Alertmanager {
    /// Routes every alert, grouped by name, to the webhook at `url` (firing and resolved),
    /// after waiting a second for the group's first alerts.
    pub fn start(url: &str) -> Alertmanager {
        let dir = TempDir::new("alertmanager");
        let config = format!(
            "route:\n  receiver: test\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: test\n    webhook_configs:\n      - url: '{url}'\n        send_resolved: true\n"
        );
        std::fs::write(dir.0.join("alertmanager.yml"), config).unwrap();
        let port = free_port();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", dir.0.join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", dir.0.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus-alertmanager");
        let process = Running(child);
        wait_until("alertmanager ready", Duration::from_secs(60), || {
            http_get(&format!("http://127.0.0.1:{port}/-/ready")).is_ok()
        });
        Alertmanager { port, _dir: dir, _process: process }
    }
}

/// An HTTP endpoint that takes Alertmanager's webhook POSTs, answers 200 and keeps each
/// notification (with when it came).
pub struct Webhook {
    pub port: u16,
    received: Arc<Mutex<Vec<(Instant, serde_json::Value)>>>,
}

impl Webhook {
    pub fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(body) = take_post(stream) {
                    let doc = serde_json::from_slice(&body).expect("a webhook notification is JSON");
                    store.lock().unwrap().push((Instant::now(), doc));
                }
            }
        });
        Webhook { port, received }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Every alert delivered so far (from every notification), with when it came.
    pub fn alerts(&self) -> Vec<(Instant, serde_json::Value)> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .flat_map(|(at, doc)| doc["alerts"].as_array().into_iter().flatten().map(|a| (*at, a.clone())))
            .collect()
    }

    /// The alerts named `name` delivered as firing.
    pub fn firing(&self, name: &str) -> Vec<(Instant, serde_json::Value)> {
        self.alerts()
            .into_iter()
            .filter(|(_, a)| a["status"] == "firing" && a["labels"]["alertname"] == name)
            .collect()
    }
}

/// Reads one HTTP request (headers, then Content-Length bytes of body), answers 200 and
/// closes; the body, if it was a POST.
fn take_post(stream: TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut stream = stream;
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
    request_line.starts_with("POST ").then_some(body)
}
