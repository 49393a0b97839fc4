//! zs-perm integration tests.
