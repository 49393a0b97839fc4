//! zs-chat tests.
