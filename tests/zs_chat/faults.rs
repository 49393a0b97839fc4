//! zs-chat tests: faults.
