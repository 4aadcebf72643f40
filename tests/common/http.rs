//! Plain HTTP for tests: a free loopback port, a GET over std's TcpStream
//! (no client crate, so what the server sent is what the test sees), and
//! `kennisbank serve` started on a free port and stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port`; `false` after `wait`.
pub fn wait_for_port(port: u16, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The start of the body, for messages.
    pub fn text(&self) -> String {
        self.body_text().chars().take(400).collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` on 127.0.0.1:`port` as HTTP/1.0, which every server answers
/// without chunking (with a length or by closing).
pub fn get(port: u16, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "GET {path}: no complete HTTP response: {:?}",
                String::from_utf8_lossy(&raw)
            )
        });
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("GET {path}: no status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// `kennisbank serve --port P ARGS…` in `cwd`; every line it prints (stdout
/// and stderr) is collected; killed when dropped.
pub struct Serving {
    child: Child,
    pub port: u16,
    /// Lines as they come: `true` for stdout, `false` for stderr.
    lines: Receiver<(bool, String)>,
    /// Every line read so far (both streams).
    pub log: Vec<String>,
    /// The lines of stdout read so far.
    pub stdout: Vec<String>,
}

impl Serving {
    /// Starts `bin serve` and waits (a minute at most) for its announcement.
    pub fn start(bin: &Path, cwd: &Path, args: &[&str]) -> Serving {
        let port = free_port();
        let mut child = Command::new(bin)
            .current_dir(cwd)
            .args(["serve", "--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let (tx, lines) = mpsc::channel();
        // Keep reading to the end: a closed pipe would fail serve's next line.
        for (is_stdout, stream) in [
            (
                true,
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            ),
            (false, Box::new(child.stderr.take().unwrap())),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send((is_stdout, line));
                }
            });
        }
        let mut s = Serving {
            child,
            port,
            lines,
            log: Vec::new(),
            stdout: Vec::new(),
        };
        let said = s.wait_line(|l| l.contains("draait op"), Duration::from_secs(60));
        assert!(
            said.contains(&format!("127.0.0.1:{port}/")),
            "serve announced another address: {said}"
        );
        s
    }

    /// The first new line (of either stream) that satisfies `ok`; panics
    /// with the log after `wait`.
    pub fn wait_line(&mut self, ok: impl Fn(&str) -> bool, wait: Duration) -> String {
        self.wait_for(|_, l| ok(l), wait)
    }

    /// The first new line of stdout that satisfies `ok`.
    pub fn wait_stdout(&mut self, ok: impl Fn(&str) -> bool, wait: Duration) -> String {
        self.wait_for(|out, l| out && ok(l), wait)
    }

    /// Reads whatever arrives within `wait` (lines of two pipes are read by
    /// two threads, so their order across streams is not the program's).
    pub fn settle(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok((is_stdout, line)) = self.lines.recv_timeout(left) {
                self.log.push(line.clone());
                if is_stdout {
                    self.stdout.push(line);
                }
            }
        }
    }

    fn wait_for(&mut self, ok: impl Fn(bool, &str) -> bool, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Ok((is_stdout, line)) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.log.push(line.clone());
                if is_stdout {
                    self.stdout.push(line.clone());
                }
                if ok(is_stdout, &line) {
                    return line;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve stopped ({status}):\n{}", self.log.join("\n"));
            }
        }
        panic!("no such line within {wait:?}:\n{}", self.log.join("\n"));
    }

    pub fn get(&self, path: &str) -> Response {
        get(self.port, path)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
