//! A tiny static file server for browser tests: 127.0.0.1 only, bounded in
//! time, stops when dropped. Serves a folder under a path prefix; anything
//! outside the prefix is a 404, so a URL that forgets the base path fails as
//! it would on a real host.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Serves a folder under a path prefix; anything outside the prefix is a 404,
/// so a URL that forgets the base path fails like it would on a real host.
/// The port is known before the folder exists (the sub-path build needs it).
pub struct Server {
    port: u16,
    root: Arc<std::sync::Mutex<Option<PathBuf>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens now; the folder can be set later (the port is known before a
    /// sub-path build that needs it).
    pub fn start(prefix: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let root: Arc<std::sync::Mutex<Option<PathBuf>>> = Arc::default();
        let (flag, served, prefix) = (stop.clone(), root.clone(), prefix.to_string());
        let handle = std::thread::spawn(move || {
            // Bounded: never outlives the test run by more than this.
            let deadline = Instant::now() + Duration::from_secs(10 * 60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let root = served.lock().unwrap().clone();
                        let prefix = prefix.clone();
                        std::thread::spawn(move || {
                            if let Some(root) = root {
                                let _ = respond(stream, &root, &prefix);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            port,
            root,
            stop,
            handle: Some(handle),
        }
    }

    pub fn serve(&self, dir: &Path) {
        *self.root.lock().unwrap() = Some(dir.to_path_buf());
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Server {
    /// Serves `root` at `/`.
    pub fn at(root: PathBuf) -> Server {
        let s = Server::start("/");
        s.serve(&root);
        s
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("{}/", self.origin())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn respond(mut stream: TcpStream, root: &Path, prefix: &str) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = percent_decode(target.split(['?', '#']).next().unwrap_or("/"));
    let file = path.strip_prefix(prefix).and_then(|rest| {
        let mut file = root.to_path_buf();
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            if seg == ".." || seg.contains('\\') {
                return None;
            }
            file.push(seg);
        }
        if file.is_dir() {
            file.push("index.html");
        }
        Some(file)
    });
    let body = file
        .as_ref()
        .filter(|_| method == "GET" || method == "HEAD")
        .and_then(|f| std::fs::read(f).ok());
    let (status, ctype, body) = match (body, &file) {
        (Some(bytes), Some(f)) => ("200 OK", content_type(f), bytes),
        _ => (
            "404 Not Found",
            "text/html; charset=utf-8".to_string(),
            std::fs::read(root.join("404.html")).unwrap_or_default(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
