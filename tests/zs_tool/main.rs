//! zs-tool integration tests.
