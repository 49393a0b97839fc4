//! zerostack: a coding agent built as small binaries that speak NDJSON.
//!
//! A turn is a pipeline: `zs-session context S | zs-chat | zs-perm | zs-tool |
//! zs-session record S`. This library holds only what two or more of those
//! binaries share: the protocol and its line reader and writer, errors and
//! exit codes, configuration, XDG paths, a token estimate and the signalling
//! of a process group. Each binary's
//! own logic lives in its folder under bins/. See ARCHITECTURE.md.

pub mod cli;
pub mod config;
pub mod error;
pub mod lines;
pub mod paths;
pub mod procgroup;
pub mod protocol;
pub mod tokens;
