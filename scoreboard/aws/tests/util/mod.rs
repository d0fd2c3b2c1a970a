//! What the AWS tests share: moto's server (the `moto[server]` Python package .ci/run
//! installs) on a free loopback port, and an SDK configuration pointed at it.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub struct Moto {
    pub url: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_moto() -> Moto {
    start_moto_with(&[])
}

/// moto's server with these environment variables (`INITIAL_NO_AUTH_ACTION_COUNT` turns on
/// its IAM checks after that many requests).
pub fn start_moto_with(env: &[(&str, &str)]) -> Moto {
    let check = Command::new("python3")
        .args(["-c", "import moto.server"])
        .status();
    assert!(
        check.is_ok_and(|s| s.success()),
        "moto's server is not installed: pip install 'moto[server]' (.ci/run does it)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        url: format!("http://127.0.0.1:{port}"),
        child,
    }
}

pub async fn base_config(moto: &Moto) -> SdkConfig {
    config_as(moto, "testing", "testing").await
}

/// An SDK configuration for moto with these access keys.
pub async fn config_as(moto: &Moto, key: &str, secret: &str) -> SdkConfig {
    let credentials = Credentials::new(key, secret, None, None, "test");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .credentials_provider(credentials)
        .load()
        .await
}
