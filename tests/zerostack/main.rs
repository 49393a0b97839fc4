//! zerostack wrapper end-to-end tests.
