//! zs-session integration tests.
