//! Holds no code: the crate carries gameday's deployment files (`k8s/`, `README.md`) and the
//! test that checks the manifests (`tests/manifests.rs`).
