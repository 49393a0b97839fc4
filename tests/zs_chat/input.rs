//! zs-chat tests: input.
