//! The real `dukan` binary as a child process: CLI commands, and a server that can be killed
//! with SIGKILL at any point.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

pub fn dukan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dukan"));
    c.env("DUKAN_ARGON2_M_KIB", "1024").env("DUKAN_BACKUP_DAILY_AT", "").env("DUKAN_LOG", "warn");
    c
}

pub fn run(args: &[&str]) -> Output {
    dukan().args(args).output().expect("run dukan")
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `dukan serve` on 127.0.0.1:0 and waits for it to say where it listens.
    pub fn start(data: &Path) -> Server {
        Self::start_with_env(data, &[])
    }

    /// `start` with extra environment variables for the server.
    pub fn start_with_env(data: &Path, env: &[(&str, &str)]) -> Server {
        let mut child = dukan()
            .envs(env.iter().copied())
            .args(["serve", "--data", data.to_str().expect("path"), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("server printed its address").expect("line");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
